#!/usr/bin/perl
# t_sip_ua.pl - SIP user agents (raw UDP, parsed with Net::SIP::Packet) for
# tests/integration/t_sip.sh against a real presenced.
#
#   t_sip_ua.pl MODE SERVER_PORT BASE_PORT STATE_DIR
#
# Identities are asserted with P-Asserted-Identity from 127.0.0.1, which the
# test configuration lists in sip.trusted_peers (digest mode: from 127.0.0.2,
# not trusted). Pres-rules are changed over XCAP by the command in
# $PUT_RULES (called with a file name); $CTL runs presencectl on the
# daemon's database.
#
# Modes:
#  flow     bob (allowed) gets a NOTIFY within 1 s of alice's PUBLISH;
#           mallory (blocked) gets 403 and no NOTIFY; carol (confirm) is
#           pending, in alice's watcher info and in `presencectl watchers`,
#           and becomes active as soon as an XCAP PUT allows her; a fetch;
#           an external-list rule (OMA) admits erin through alice's
#           resource list. Leaves bob's and carol's subscriptions and
#           alice's publication alive (dialogs saved in STATE_DIR/dialogs).
#  survive  (started before the daemon restarts) bob and carol each get a
#           NOTIFY in their stored dialog, CSeq higher than before, bob's
#           with alice's published note.
#  finish   bob and carol unsubscribe in the restored dialogs.
#  digest   untrusted PUBLISH challenged; alice's password passes; bob's
#           credentials for alice's presentity: 403; a wrong password: 401.
# Prints "ok N - ..." lines; exits 1 at the first failure.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Net::SIP;
use Time::HiRes qw(time sleep);
use Digest::MD5 qw(md5_hex);
use Digest::SHA qw(sha256_hex);

my ($mode, $sport, $base, $dir) = @ARGV;
die "usage: t_sip_ua.pl MODE SERVER_PORT BASE_PORT STATE_DIR\n" unless $dir;
my $server = "127.0.0.1:$sport";
my $n = 0;
my $ALICE = 'sip:alice@ims.example.com';

sub ok {
    my ($cond, $what) = @_;
    $n++;
    if ($cond) { print "ok - $what\n"; return 1 }
    print "FAIL - $what\n";
    exit 1;
}

sub ua {
    my ($user, $port, $addr) = @_;
    my $s = IO::Socket::INET->new(Proto => 'udp', LocalAddr => $addr || '127.0.0.1',
        LocalPort => $port, PeerAddr => $server, ReuseAddr => 1) or die "socket $port: $!";
    return { sock => $s, port => $port, user => $user,
        uri => "sip:$user\@ims.example.com", cseq => 1, n => 0 };
}

# Sends a request; returns its Call-ID. %o: call_id, to_tag, expires, event,
# body, ctype, extra (headers), ruri, no_pai.
sub request {
    my ($ua, $method, %o) = @_;
    my $ruri = $o{ruri} || $ALICE;
    my $cid = $o{call_id} || sprintf('%s-%d-%d-%d@it', $ua->{user}, $$, int(time()), ++$ua->{n});
    my $cseq = $ua->{cseq}++;
    my $body = $o{body} // '';
    my @h = (
        "$method $ruri SIP/2.0",
        "Via: SIP/2.0/UDP " . $ua->{sock}->sockhost . ":$ua->{port};branch=z9hG4bK" . int(rand(1e9)) . $cseq,
        "From: <$ua->{uri}>;tag=$ua->{user}tag",
        "To: <$ruri>" . ($o{to_tag} ? ";tag=$o{to_tag}" : ''),
        "Call-ID: $cid",
        "CSeq: $cseq $method",
        "Max-Forwards: 70",
        "Contact: <sip:$ua->{user}\@" . $ua->{sock}->sockhost . ":$ua->{port}>",
        ($o{no_pai} ? () : ("P-Asserted-Identity: <$ua->{uri}>")),
        "Event: " . ($o{event} || 'presence'),
    );
    push @h, "Expires: $o{expires}" if defined $o{expires};
    push @h, "Content-Type: $o{ctype}" if $o{ctype};
    push @h, "$_: $o{extra}{$_}" for sort keys %{ $o{extra} || {} };
    push @h, "Content-Length: " . length($body);
    $ua->{sock}->send(join("\r\n", @h) . "\r\n\r\n" . $body);
    return $cid;
}

# Waits for a packet matching $pred; requests are answered 200 on the way.
sub wait_for {
    my ($ua, $pred, $timeout) = @_;
    my $sel = IO::Select->new($ua->{sock});
    my $end = time() + ($timeout || 3);
    while ((my $left = $end - time()) > 0) {
        next unless $sel->can_read($left);
        my $buf;
        $ua->{sock}->recv($buf, 65535) or next;
        my $pkt = eval { Net::SIP::Packet->new($buf) } or next;
        if ($pkt->is_request) {
            $ua->{sock}->send($pkt->create_response(200, 'OK')->as_string);
        }
        return $pkt if $pred->($pkt);
    }
    return undef;
}

sub body_of { my @p = $_[0]->as_parts; return $p[3] // '' }

sub is_notify {
    my ($cid, $re, $body_re) = @_;
    return sub {
        my $p = shift;
        return 0 unless $p->is_request && $p->method eq 'NOTIFY';
        return 0 if $cid && $p->get_header('call-id') ne $cid;
        return 0 if $re && ($p->get_header('subscription-state') // '') !~ $re;
        return 0 if $body_re && body_of($p) !~ $body_re;
        return 1;
    };
}

sub any_notify { return is_notify(undef)->(@_) }

sub is_response {
    my ($cid, $code) = @_;
    return sub {
        my $p = shift;
        return !$p->is_request && $p->get_header('call-id') eq $cid && $p->code == $code;
    };
}

sub to_tag {
    my ($t) = (($_[0]->get_header('to') // '') =~ /tag=([^;>\s]+)/);
    return $t;
}

sub pidf {
    my ($note) = @_;
    return qq{<?xml version="1.0" encoding="UTF-8"?>\n}
        . qq{<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="$ALICE">}
        . qq{<tuple id="pc"><status><basic>open</basic></status><note>$note</note></tuple></presence>};
}

# pres-rules for alice: identity rules, plus an OMA external-list rule
sub set_rules {
    my (%who) = @_;    # uri => allow|block|confirm, or 'external' => anc
    my $x = qq{<?xml version="1.0" encoding="UTF-8"?>\n<cr:ruleset xmlns="urn:ietf:params:xml:ns:pres-rules" }
        . qq{xmlns:cr="urn:ietf:params:xml:ns:common-policy" xmlns:ocp="urn:oma:xml:xdm:common-policy">\n};
    my $i = 0;
    my $tf = qq{<cr:transformations><provide-services><all-services/></provide-services><provide-persons><all-persons/></provide-persons>}
        . qq{<provide-devices><all-devices/></provide-devices><provide-all-attributes/></cr:transformations>};
    for my $u (sort keys %who) {
        $i++;
        if ($u eq 'external') {
            $x .= qq{<cr:rule id="r$i"><cr:conditions><ocp:external-list><ocp:entry anc="$who{$u}"/></ocp:external-list></cr:conditions>}
                . qq{<cr:actions><sub-handling>allow</sub-handling></cr:actions>$tf</cr:rule>\n};
            next;
        }
        $x .= qq{<cr:rule id="r$i"><cr:conditions><cr:identity><cr:one id="$u"/></cr:identity></cr:conditions>}
            . qq{<cr:actions><sub-handling>$who{$u}</sub-handling></cr:actions>$tf</cr:rule>\n};
    }
    $x .= "</cr:ruleset>\n";
    my $file = "$dir/rules.xml";
    open(my $fh, '>', $file) or die;
    print $fh $x;
    close $fh;
    system("$ENV{PUT_RULES} pres-rules $file") == 0 or die "XCAP PUT of pres-rules failed";
}

sub authorization {
    my ($chal, $user, $pass, $method, $uri) = @_;
    my %c;
    $c{lc $1} = defined $2 ? $2 : $3 while $chal =~ /(\w+)=(?:"([^"]*)"|([^\s,]+))/g;
    my $h = ($c{algorithm} // 'MD5') eq 'SHA-256' ? \&sha256_hex : \&md5_hex;
    my ($nc, $cnonce) = ('00000001', sprintf('%08x', int(rand(1e9))));
    my $ha1 = $h->("$user:$c{realm}:$pass");
    my $ha2 = $h->("$method:$uri");
    my $resp = $h->("$ha1:$c{nonce}:$nc:$cnonce:auth:$ha2");
    return qq{Digest username="$user", realm="$c{realm}", nonce="$c{nonce}", uri="$uri", }
        . qq{response="$resp", algorithm=} . ($c{algorithm} // 'MD5')
        . qq{, qop=auth, nc=$nc, cnonce="$cnonce", opaque="$c{opaque}"};
}

# the engine commits its state in batches of PSIP_COMMIT_MS (5 ms)
sub ctl { sleep 0.05; my $out = `$ENV{CTL} @_ 2>&1`; return $out }

if ($mode eq 'digest') {
    my $alice2 = ua('alice', $base + 10, '127.0.0.2');
    my %pub = (expires => 600, ctype => 'application/pidf+xml', body => pidf('digest'));
    my $cid = request($alice2, 'PUBLISH', %pub);
    my $r = wait_for($alice2, is_response($cid, 401));
    ok($r, 'digest: untrusted PUBLISH with P-Asserted-Identity: 401');
    my @ch = $r ? $r->get_header('www-authenticate') : ();
    ok(@ch >= 1 && $ch[0] =~ /realm="ims.example.com"/, 'digest: challenge for realm ims.example.com');
    request($alice2, 'PUBLISH', %pub, call_id => $cid, no_pai => 1, extra => {
        Authorization => authorization($ch[0], 'alice@ims.example.com', 'alice-secret',
            'PUBLISH', $ALICE) });
    $r = wait_for($alice2, is_response($cid, 200));
    ok($r && $r->get_header('sip-etag'), "digest: PUBLISH with alice's provisioned password: 200");
    my $etag = $r ? $r->get_header('sip-etag') : '';
    my $bob2 = ua('bob', $base + 11, '127.0.0.2');
    $cid = request($bob2, 'PUBLISH', %pub);
    $r = wait_for($bob2, is_response($cid, 401));
    @ch = $r ? $r->get_header('www-authenticate') : ();
    request($bob2, 'PUBLISH', %pub, call_id => $cid, no_pai => 1, extra => {
        Authorization => authorization($ch[0] // '', 'bob@ims.example.com', 'bob-secret',
            'PUBLISH', $ALICE) });
    ok(wait_for($bob2, is_response($cid, 403)), "digest: bob's credentials for alice's presentity: 403");
    request($bob2, 'PUBLISH', %pub, call_id => $cid, no_pai => 1, extra => {
        Authorization => authorization($ch[0] // '', 'bob@ims.example.com', 'wrong',
            'PUBLISH', $ALICE) });
    ok(wait_for($bob2, is_response($cid, 401)), 'digest: wrong password: 401 again');
    # remove the digest publication again (trusted path)
    my $a = ua('alice', $base + 12);
    $cid = request($a, 'PUBLISH', expires => 0, extra => { 'SIP-If-Match' => $etag });
    ok(wait_for($a, is_response($cid, 200)), 'digest: publication removed');
    exit 0;
}

my $state = "$dir/dialogs";

if ($mode eq 'survive' || $mode eq 'finish') {
    open(my $fh, '<', $state) or die "$state: $!";
    my @d = map { [split ' '] } grep { /\S/ } <$fh>;
    close $fh;
    my (%uas, @out);
    # every socket first: NOTIFYs to a closed port would be lost
    $uas{$_->[0]} ||= ua($_->[0], $_->[1]) for @d;
    print "listening\n" if $mode eq 'survive';
    $| = 1;
    for my $d (@d) {
        my ($user, $port, $cid, $tag, $cseq, $ucseq) = @$d;
        my $ua = $uas{$user};
        $ua->{cseq} = $ucseq + 1;
        if ($mode eq 'survive') {
            my $re = $user eq 'bob' ? qr/restart-note/ : undef;
            my $nt = wait_for($ua, is_notify($cid, qr/^active/, $re), 8);
            ok($nt, "$user: NOTIFY (active" . ($re ? ', with the published note' : '')
                . ') in its stored dialog after the restart');
            my ($c2) = $nt ? $nt->cseq =~ /^(\d+)/ : (0);
            ok($c2 > $cseq, "$user: NOTIFY CSeq went up ($cseq -> $c2)");
            push @out, join(' ', $user, $port, $cid, $tag, $c2, $ua->{cseq}) . "\n";
        } else {
            request($ua, 'SUBSCRIBE', call_id => $cid, to_tag => $tag, expires => 0);
            ok(wait_for($ua, is_response($cid, 200)), "$user: unsubscribe in the restored dialog: 200");
            ok(wait_for($ua, is_notify($cid, qr/^terminated/)), "$user: final NOTIFY terminated");
        }
    }
    if (@out) {
        open(my $oh, '>', $state) or die;
        print $oh @out;
        close $oh;
    }
    exit 0;
}

die "unknown mode $mode\n" unless $mode eq 'flow';

my $bob = ua('bob', $base);
my $carol = ua('carol', $base + 1);
my $alice = ua('alice', $base + 2);
my $mallory = ua('mallory', $base + 3);
my $erin = ua('erin', $base + 4);

set_rules('sip:bob@ims.example.com' => 'allow', 'sip:carol@ims.example.com' => 'confirm',
    'sip:mallory@ims.example.com' => 'block');

# 1. bob (allowed) watches alice; a PUBLISH reaches him within 1 s
my $bcid = request($bob, 'SUBSCRIBE', expires => 600);
my $br = wait_for($bob, is_response($bcid, 200));
ok($br && ($br->get_header('expires') // '') eq '600', 'bob: SUBSCRIBE 200, Expires 600');
ok(wait_for($bob, is_notify($bcid, qr/^active/)), 'bob: first NOTIFY active');

# 2. mallory (blocked) is refused
my $mcid = request($mallory, 'SUBSCRIBE', expires => 600);
ok(wait_for($mallory, is_response($mcid, 403)), 'mallory (rule block): SUBSCRIBE 403');

my $t0 = time();
my $pcid = request($alice, 'PUBLISH', expires => 600, ctype => 'application/pidf+xml',
    body => pidf('at-lunch'));
my $pub = wait_for($alice, is_response($pcid, 200));
ok($pub && $pub->get_header('sip-etag'), 'alice: PUBLISH 200 with SIP-ETag');
my $etag = $pub ? $pub->get_header('sip-etag') : '';
my $nt = wait_for($bob, is_notify($bcid, qr/^active/, qr/at-lunch/), 1.0);
my $dt = time() - $t0;
ok($nt && $dt < 1.0, sprintf('bob: NOTIFY with the published note %.0f ms after the PUBLISH (< 1 s)', $dt * 1000));
ok(!wait_for($mallory, \&any_notify, 1.0), 'mallory: no NOTIFY at all');

# 3. watcher info for alice
my $wcid = request($alice, 'SUBSCRIBE', event => 'presence.winfo', expires => 600,
    extra => { Accept => 'application/watcherinfo+xml' });
my $wr = wait_for($alice, is_response($wcid, 200));
ok($wr, 'alice: winfo SUBSCRIBE 200');
my $w = wait_for($alice, is_notify($wcid, qr/^active/, qr/state="full"/));
ok($w && body_of($w) =~ /sip:bob\@ims.example.com/ && body_of($w) !~ /mallory/,
    'alice: winfo full state lists bob, not mallory');

# 4. carol (rule confirm) is pending
my $ccid = request($carol, 'SUBSCRIBE', expires => 600);
my $cr = wait_for($carol, is_response($ccid, 200));
ok($cr, 'carol (rule confirm): SUBSCRIBE 200');
my $cn = wait_for($carol, is_notify($ccid, qr/^pending/));
ok($cn && !length(body_of($cn)), 'carol: NOTIFY pending without body');
$w = wait_for($alice, is_notify($wcid, qr/^active/, qr/carol/));
ok($w && body_of($w) =~ /state="partial"/ && body_of($w) =~ /status="pending"/,
    'alice: winfo partial: carol pending');
my $out = ctl('watchers', '--impu', $ALICE);
ok($out =~ /^sip:carol\@ims.example.com\tpresence\tpending\t/m
    && $out =~ /^sip:bob\@ims.example.com\tpresence\tactive\t/m
    && $out =~ /^sip:alice\@ims.example.com\tpresence.winfo\tactive\t/m,
    'presencectl watchers: bob active, carol pending, alice winfo') or print $out;
$out = ctl('subscriptions', '--watcher', 'sip:carol@ims.example.com');
ok($out =~ /^sip:alice\@ims.example.com\tpresence\tpending\t/m && $out !~ /bob/,
    'presencectl subscriptions --watcher carol: alice, pending');

# 5. alice allows carol over XCAP: active at once
$t0 = time();
set_rules('sip:bob@ims.example.com' => 'allow', 'sip:carol@ims.example.com' => 'allow',
    'sip:mallory@ims.example.com' => 'block');
$cn = wait_for($carol, is_notify($ccid, qr/^active/, qr/at-lunch/), 2);
$dt = time() - $t0;
ok($cn, sprintf('carol: NOTIFY active with alice\'s presence %.0f ms after the XCAP PUT', $dt * 1000));
$w = wait_for($alice, is_notify($wcid, qr/^active/, qr/approved/));
ok($w && body_of($w) =~ /status="active"/, 'alice: winfo partial: carol approved');
$out = ctl('watchers', '--impu', $ALICE);
ok($out =~ /^sip:carol\@ims.example.com\tpresence\tactive\t/m, 'presencectl watchers: carol active');

# 6. OMA external-list: erin is in alice's resource list "friends"
my $anc = 'https://xcap.ims.example.com/xcap-root/resource-lists/users/sip:alice@ims.example.com/index/~~/resource-lists/list%5b@name=%22friends%22%5d';
set_rules('sip:bob@ims.example.com' => 'allow', 'sip:carol@ims.example.com' => 'allow',
    'sip:mallory@ims.example.com' => 'block', external => $anc);
my $ecid = request($erin, 'SUBSCRIBE', expires => 600);
ok(wait_for($erin, is_response($ecid, 403)), 'erin: not in any list yet: 403');
open(my $lf, '>', "$dir/lists.xml") or die;
print $lf qq{<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">}
    . qq{<list name="friends"><entry uri="sip:erin\@ims.example.com"/></list></resource-lists>\n};
close $lf;
system("$ENV{PUT_RULES} resource-lists $dir/lists.xml") == 0 or die "XCAP PUT of resource-lists failed";
$ecid = request($erin, 'SUBSCRIBE', expires => 0);
ok(wait_for($erin, is_notify($ecid, qr/^terminated;reason=timeout/, qr/at-lunch/)),
    'erin: in alice\'s list "friends" (external-list): fetch gets her presence');

# 7. fetch by bob
my $fcid = request($bob, 'SUBSCRIBE', expires => 0);
ok(wait_for($bob, is_response($fcid, 200)), 'bob: fetch 200');
ok(wait_for($bob, is_notify($fcid, qr/^terminated;reason=timeout/, qr/at-lunch/)),
    'bob: fetch NOTIFY terminated;reason=timeout with the current state');

# 8. alice ends her winfo subscription; a new note for the restart test
request($alice, 'SUBSCRIBE', call_id => $wcid, to_tag => to_tag($wr), expires => 0,
    event => 'presence.winfo', extra => { Accept => 'application/watcherinfo+xml' });
ok(wait_for($alice, is_notify($wcid, qr/^terminated/)), 'alice: winfo unsubscribed');
my $mcid2 = request($alice, 'PUBLISH', expires => 600, ctype => 'application/pidf+xml',
    body => pidf('restart-note'), extra => { 'SIP-If-Match' => $etag });
ok(wait_for($alice, is_response($mcid2, 200)), 'alice: PUBLISH modify 200');
my $bn = wait_for($bob, is_notify($bcid, qr/^active/, qr/restart-note/));
ok($bn, 'bob: NOTIFY with the new note');
$cn = wait_for($carol, is_notify($ccid, qr/^active/, qr/restart-note/));
ok($cn, 'carol: NOTIFY with the new note');
# drain late NOTIFYs, then remember both dialogs with their last CSeq
my $last_b = $bn ? ($bn->cseq =~ /^(\d+)/)[0] : 0;
my $last_c = $cn ? ($cn->cseq =~ /^(\d+)/)[0] : 0;
while (my $p = wait_for($bob, is_notify($bcid), 0.3)) { ($last_b) = $p->cseq =~ /^(\d+)/ }
while (my $p = wait_for($carol, is_notify($ccid), 0.1)) { ($last_c) = $p->cseq =~ /^(\d+)/ }
open(my $sf, '>', $state) or die;
print $sf join(' ', 'bob', $base, $bcid, to_tag($br), $last_b, $bob->{cseq}), "\n";
print $sf join(' ', 'carol', $base + 1, $ccid, to_tag($cr), $last_c, $carol->{cseq}), "\n";
close $sf;
exit 0;
