#!/usr/bin/perl
# watcher.pl - end-to-end presence checks with Net::SIP packets over UDP.
#
#   watcher.pl SERVER_PORT HARNESS DB FIFO BASEPORT [flow|restart-a|restart-b]
#
# digest: from 127.0.0.2 (not a trusted peer) PUBLISH is challenged; alice's
# credentials pass (SHA-256), bob's are refused for alice's presentity (403),
# P-Asserted-Identity alone does not help.
# restart-a: dave subscribes to bob (pending: bob has no pres-rules) and saves the dialog in DB.dave;
# restart-b (after the engine restarted): dave gets a NOTIFY in the same
# dialog with a higher CSeq, then unsubscribes.
#
# Plays bob, carol and alice (identities asserted by the trusted peer
# 127.0.0.1 with P-Asserted-Identity) against a running psip-harness:
#  1. bob subscribes to alice; a PUBLISH by alice reaches bob as a NOTIFY
#     within 1 s;
#  2. alice subscribes to her watcher info (full state: bob active);
#  3. carol subscribes: rule confirm -> pending; winfo partial: pending;
#  4. alice allows carol (pres-rules + change event): carol active with body,
#     winfo partial: approved;
#  5. alice blocks carol: carol terminated;reason=rejected;
#  6. a fetch (Expires 0) gets one NOTIFY terminated;reason=timeout with body.
# Prints "ok N - ..." lines (TAP); exits non-zero on the first failure.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Net::SIP;
use Time::HiRes qw(time);
use Digest::MD5 qw(md5_hex);
use Digest::SHA qw(sha256_hex);

my ($sport, $harness, $db, $fifo, $base, $mode) = @ARGV;
$mode ||= 'flow';
die "usage: watcher.pl SERVER_PORT HARNESS DB FIFO BASEPORT\n" unless $base;
my $server = "127.0.0.1:$sport";
my $n = 0;

sub ok {
    my ($cond, $what) = @_;
    $n++;
    if ($cond) { print "ok $n - $what\n"; return 1 }
    print "not ok $n - $what\n";
    exit 1;
}

sub ua {
    my ($user, $port, $addr) = @_;
    my $s = IO::Socket::INET->new(Proto => 'udp', LocalAddr => $addr || '127.0.0.1',
        LocalPort => $port, PeerAddr => $server) or die "socket: $!";
    return { sock => $s, port => $port, user => $user,
        uri => "sip:$user\@ims.example.com", cseq => 1, n => 0 };
}

# Sends a request; returns the Call-ID used. %o: call_id, to_tag, expires,
# event, body, ctype, extra (hash of headers), ruri.
sub request {
    my ($ua, $method, %o) = @_;
    my $ruri = $o{ruri} || 'sip:alice@ims.example.com';
    my $cid = $o{call_id} || sprintf('%s-%d-%d@test', $ua->{user}, $$, ++$ua->{n});
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
        "Contact: <sip:$ua->{user}\@127.0.0.1:$ua->{port}>",
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

# Waits for a packet matching $pred (NOTIFYs are answered 200 on the way).
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
            my $resp = $pkt->create_response(200, 'OK');
            $ua->{sock}->send($resp->as_string);
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

sub is_response {
    my ($cid, $code) = @_;
    return sub {
        my $p = shift;
        return !$p->is_request && $p->get_header('call-id') eq $cid && $p->code == $code;
    };
}

sub pidf {
    my ($note) = @_;
    return qq{<?xml version="1.0" encoding="UTF-8"?>\n}
        . qq{<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice\@ims.example.com">}
        . qq{<tuple id="pc"><status><basic>open</basic></status><note>$note</note></tuple></presence>};
}

sub to_tag {
    my ($p) = @_;
    my ($t) = ($p->get_header('to') // '') =~ /tag=([^;>\s]+)/;
    return $t;
}

sub rules {
    my (%who) = @_;    # uri => allow|block|confirm
    my $x = qq{<?xml version="1.0" encoding="UTF-8"?>\n<cr:ruleset xmlns="urn:ietf:params:xml:ns:pres-rules" xmlns:cr="urn:ietf:params:xml:ns:common-policy">\n};
    my $i = 0;
    for my $u (sort keys %who) {
        $i++;
        $x .= qq{<cr:rule id="r$i"><cr:conditions><cr:identity><cr:one id="$u"/></cr:identity></cr:conditions>}
            . qq{<cr:actions><sub-handling>$who{$u}</sub-handling></cr:actions>}
            . qq{<cr:transformations><provide-services><all-services/></provide-services><provide-persons><all-persons/></provide-persons><provide-devices><all-devices/></provide-devices><provide-all-attributes/></cr:transformations></cr:rule>\n};
    }
    return $x . "</cr:ruleset>\n";
}

sub set_rules {
    my $file = "$db.rules.xml";
    open(my $fh, '>', $file) or die;
    print $fh rules(@_);
    close $fh;
    system($harness, 'putdoc', '--db', $db, 'pres-rules', 'sip:alice@ims.example.com', $file) == 0
        or die "putdoc failed";
    open(my $ff, '>', $fifo) or die "fifo: $!";
    print $ff "changed pres-rules sip:alice\@ims.example.com\n";
    close $ff;
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

if ($mode eq 'digest') {
    my $alice2 = ua('alice', $base + 4, '127.0.0.2');
    my %pub = (expires => 600, ctype => 'application/pidf+xml', body => pidf('digest'));
    my $cid = request($alice2, 'PUBLISH', %pub);
    my $r = wait_for($alice2, is_response($cid, 401));
    ok($r, 'untrusted PUBLISH with P-Asserted-Identity: 401');
    my @ch = $r ? $r->get_header('www-authenticate') : ();
    ok(@ch >= 1 && $ch[0] =~ /realm="ims.example.com"/, 'challenge for realm ims.example.com');
    request($alice2, 'PUBLISH', %pub, call_id => $cid, no_pai => 1, extra => {
        Authorization => authorization($ch[0], 'alice@ims.example.com', 'secret',
            'PUBLISH', 'sip:alice@ims.example.com') });
    $r = wait_for($alice2, is_response($cid, 200));
    ok($r && $r->get_header('sip-etag'), 'PUBLISH with alice\'s digest credentials: 200');
    my $bob2 = ua('bob', $base + 5, '127.0.0.2');
    $cid = request($bob2, 'PUBLISH', %pub);
    $r = wait_for($bob2, is_response($cid, 401));
    @ch = $r ? $r->get_header('www-authenticate') : ();
    request($bob2, 'PUBLISH', %pub, call_id => $cid, no_pai => 1, extra => {
        Authorization => authorization($ch[0] // '', 'bob@ims.example.com', 'secret',
            'PUBLISH', 'sip:alice@ims.example.com') });
    ok(wait_for($bob2, is_response($cid, 403)), 'bob\'s credentials for alice\'s presence: 403');
    request($bob2, 'PUBLISH', %pub, call_id => $cid, no_pai => 1, extra => {
        Authorization => authorization($ch[0] // '', 'bob@ims.example.com', 'wrong',
            'PUBLISH', 'sip:alice@ims.example.com') });
    ok(wait_for($bob2, is_response($cid, 401)), 'wrong password: 401 again');
    print "1..$n\n";
    exit 0;
}

if ($mode eq 'restart-a' || $mode eq 'restart-b') {
    my $dave = ua('dave', $base + 3);
    if ($mode eq 'restart-a') {
        # bob has no pres-rules document: dave waits (pending) for bob
        my $cid = request($dave, 'SUBSCRIBE', expires => 600, ruri => 'sip:bob@ims.example.com');
        my $r = wait_for($dave, is_response($cid, 200));
        ok($r, 'dave: SUBSCRIBE 200');
        my $nt = wait_for($dave, is_notify($cid, qr/^(active|pending)/));
        ok($nt, 'dave: first NOTIFY');
        my ($cseq) = $nt->cseq =~ /^(\d+)/;
        open(my $fh, '>', "$db.dave") or die;
        print $fh join(' ', $cid, to_tag($r), $cseq), "\n";
        close $fh;
    } else {
        open(my $fh, '<', "$db.dave") or die;
        my ($cid, $tag, $cseq) = split ' ', scalar <$fh>;
        close $fh;
        my $nt = wait_for($dave, is_notify($cid, qr/^(active|pending)/), 15);
        ok($nt, 'dave: NOTIFY in the stored dialog after the restart');
        my ($c2) = $nt ? $nt->cseq =~ /^(\d+)/ : (0);
        ok($c2 > $cseq, "dave: its CSeq went up ($cseq -> $c2)");
        $dave->{cseq} = 10;
        request($dave, 'SUBSCRIBE', call_id => $cid, to_tag => $tag, expires => 0,
            ruri => 'sip:bob@ims.example.com');
        ok(wait_for($dave, is_response($cid, 200)), 'dave: unsubscribe in the restored dialog: 200');
        ok(wait_for($dave, is_notify($cid, qr/^terminated/)), 'dave: final NOTIFY');
    }
    print "1..$n\n";
    exit 0;
}

my $bob = ua('bob', $base);
my $carol = ua('carol', $base + 1);
my $alice = ua('alice', $base + 2);

set_rules('sip:bob@ims.example.com' => 'allow', 'sip:carol@ims.example.com' => 'confirm');

# 1. bob watches alice; alice publishes; NOTIFY within 1 s
my $bcid = request($bob, 'SUBSCRIBE', expires => 600);
my $br = wait_for($bob, is_response($bcid, 200));
ok($br && ($br->get_header('expires') // '') eq '600', 'bob: SUBSCRIBE answered 200, Expires 600');
ok(wait_for($bob, is_notify($bcid, qr/^active/)), 'bob: first NOTIFY active');
my $t0 = time();
my $pcid = request($alice, 'PUBLISH', expires => 600, ctype => 'application/pidf+xml',
    body => pidf('at-lunch'));
my $pub = wait_for($alice, is_response($pcid, 200));
ok($pub && $pub->get_header('sip-etag'), 'alice: PUBLISH 200 with SIP-ETag');
my $nt = wait_for($bob, is_notify($bcid, qr/^active/, qr/at-lunch/), 1.0);
ok($nt && time() - $t0 < 1.0, sprintf('bob: NOTIFY with the published note within 1 s (%.3f s)', time() - $t0));

# 2. alice's watcher info
my $wcid = request($alice, 'SUBSCRIBE', event => 'presence.winfo', expires => 600,
    extra => { Accept => 'application/watcherinfo+xml' });
ok(wait_for($alice, is_response($wcid, 200)), 'alice: winfo SUBSCRIBE 200');
my $w = wait_for($alice, is_notify($wcid, qr/^active/, qr/state="full"/));
ok($w && body_of($w) =~ m{status="active"[^>]*>sip:bob\@ims.example.com<}s
    || ($w && body_of($w) =~ m{sip:bob\@ims.example.com}), 'alice: winfo full state lists bob');

# 3. carol: rule confirm -> pending (no rule at all would block)
my $ccid = request($carol, 'SUBSCRIBE', expires => 600);
my $cr = wait_for($carol, is_response($ccid, 200));
ok($cr, 'carol: SUBSCRIBE 200 (not 202)');
my $ctag = to_tag($cr);
my $cn = wait_for($carol, is_notify($ccid, qr/^pending/));
ok($cn && !length(body_of($cn)), 'carol: NOTIFY pending without body');
$w = wait_for($alice, is_notify($wcid, qr/^active/, qr/state="partial".*carol.*|carol.*state="partial"/s));
ok($w && body_of($w) =~ /status="pending"/, 'alice: winfo partial: carol pending');

# 4. alice allows carol
set_rules('sip:bob@ims.example.com' => 'allow', 'sip:carol@ims.example.com' => 'allow');
$cn = wait_for($carol, is_notify($ccid, qr/^active/, qr/entity="sip:alice\@ims.example.com"/));
ok($cn, 'carol: NOTIFY active with alice\'s presence after the rule change');
$w = wait_for($alice, is_notify($wcid, qr/^active/, qr/approved/));
ok($w && body_of($w) =~ /status="active"/, 'alice: winfo partial: carol approved');

# 5. alice blocks carol
set_rules('sip:bob@ims.example.com' => 'allow', 'sip:carol@ims.example.com' => 'block');
$cn = wait_for($carol, is_notify($ccid, qr/^terminated;reason=rejected/));
ok($cn, 'carol: NOTIFY terminated;reason=rejected after the block');
request($carol, 'SUBSCRIBE', call_id => $ccid, to_tag => $ctag, expires => 600);
ok(wait_for($carol, is_response($ccid, 481)), 'carol: refresh of the ended subscription: 481');

# 6. fetch
my $fcid = request($bob, 'SUBSCRIBE', expires => 0);
ok(wait_for($bob, is_response($fcid, 200)), 'bob: fetch answered 200');
ok(wait_for($bob, is_notify($fcid, qr/^terminated;reason=timeout/, qr/at-lunch/)),
    'bob: fetch NOTIFY terminated;reason=timeout with the current state');

# 7. bob unsubscribes: final NOTIFY; alice's winfo says terminated
request($bob, 'SUBSCRIBE', call_id => $bcid, to_tag => to_tag($br), expires => 0);
ok(wait_for($bob, is_notify($bcid, qr/^terminated;reason=timeout/)), 'bob: unsubscribe: NOTIFY terminated;reason=timeout');
$w = wait_for($alice, is_notify($wcid, qr/^active/, qr/sip:bob\@ims.example.com/));
ok($w && body_of($w) =~ /status="terminated"/, 'alice: winfo partial: bob terminated');
print "1..$n\n";
exit 0;
