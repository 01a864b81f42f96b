#!/usr/bin/perl
# rls.pl - end-to-end client of t_rls.sh: resource list subscriptions
# (RFC 4662), filters (RFC 4660) and xcap-diff (RFC 5875) against a running
# presenced. SIP over UDP from 127.0.0.1 (a trusted peer in the test
# configuration: identities by P-Asserted-Identity); XCAP with curl and
# digest. Environment: SIP_PORT, XCAP_PORT, XCAP_HOST, CA, XROOT, TMP.
# Prints "ok N - ..." / "FAIL N - ..." lines.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Net::SIP;
use Time::HiRes qw(time sleep);

my $server = "127.0.0.1:$ENV{SIP_PORT}";
my $xroot = $ENV{XROOT};
my $tmp = $ENV{TMP};
my $dom = 'ims.example.com';
my ($n, $fails) = (0, 0);

sub ok ($$) {    # prototype: the condition is evaluated in scalar context
    my ($cond, $what) = @_;
    $n++;
    if ($cond) { print "ok - $what\n" } else { print "FAIL - $what\n"; $fails++ }
    return $cond;
}

sub ua {
    my ($user) = @_;
    my $s = IO::Socket::INET->new(Proto => 'udp', LocalAddr => '127.0.0.1',
        LocalPort => 0, PeerAddr => $server) or die "socket: $!";
    return { sock => $s, port => $s->sockport, user => $user,
        uri => "sip:$user\@$dom", cseq => 1, n => 0 };
}

sub request {
    my ($ua, $method, %o) = @_;
    my $ruri = $o{ruri};
    my $cid = $o{call_id} || sprintf('%s-%d-%d-%d@rls', $ua->{user}, $$, $ua->{port}, ++$ua->{n});
    my $cseq = $ua->{cseq}++;
    my $body = $o{body} // '';
    my @h = (
        "$method $ruri SIP/2.0",
        "Via: SIP/2.0/UDP 127.0.0.1:$ua->{port};branch=z9hG4bK" . int(rand(1e9)) . $cseq,
        "From: <$ua->{uri}>;tag=$ua->{user}tag",
        "To: <$ruri>" . ($o{to_tag} ? ";tag=$o{to_tag}" : ''),
        "Call-ID: $cid",
        "CSeq: $cseq $method",
        "Max-Forwards: 70",
        "Contact: <sip:$ua->{user}\@127.0.0.1:$ua->{port}>",
        "P-Asserted-Identity: <$ua->{uri}>",
        "Event: " . ($o{event} || 'presence'),
    );
    push @h, "Expires: $o{expires}" if defined $o{expires};
    push @h, "Content-Type: $o{ctype}" if $o{ctype};
    push @h, @{ $o{extra} || [] };
    push @h, "Content-Length: " . length($body);
    $ua->{sock}->send(join("\r\n", @h) . "\r\n\r\n" . $body);
    return $cid;
}

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

sub notify_in {
    my ($cid, $re) = @_;
    return sub {
        my $p = shift;
        return $p->is_request && $p->method eq 'NOTIFY' && $p->get_header('call-id') eq $cid
            && (!$re || body_of($p) =~ $re);
    };
}

sub response_to {
    my ($cid) = @_;
    return sub { my $p = shift; return !$p->is_request && $p->get_header('call-id') eq $cid };
}

sub to_tag { my ($t) = ($_[0]->get_header('to') // '') =~ /tag=([^;>\s]+)/; return $t }

# XCAP PUT of a whole document; returns (status, etag)
sub xput {
    my ($user, $auid, $xui, $ctype, $body) = @_;
    my $f = "$tmp/put.xml";
    open(my $fh, '>', $f) or die; print $fh $body; close $fh;
    my $url = "$xroot/$auid/users/$xui/index";
    my $out = `curl -sS -o /dev/null -D - --cacert $ENV{CA} --resolve $ENV{XCAP_HOST}:$ENV{XCAP_PORT}:127.0.0.1 --digest -u $user\@$dom:$user-secret -X PUT -H 'Content-Type: $ctype' --data-binary \@$f '$url'`;
    my @all = $out =~ m{^HTTP/\S+ (\d+)}mg;    # the digest challenge comes first
    my $st = $all[-1];
    my ($et) = $out =~ /^etag:\s*"?([^"\r\n]+)"?/mi;
    return ($st // 0, $et // '');
}

sub rules {
    my ($handling) = @_;
    return qq{<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns="urn:ietf:params:xml:ns:pres-rules" xmlns:cr="urn:ietf:params:xml:ns:common-policy">
<cr:rule id="a"><cr:conditions><cr:identity><cr:one id="sip:alice\@$dom"/></cr:identity></cr:conditions>
<cr:actions><sub-handling>$handling</sub-handling></cr:actions>
<cr:transformations><provide-services><all-services/></provide-services><provide-persons><all-persons/></provide-persons><provide-devices><all-devices/></provide-devices><provide-all-attributes/></cr:transformations></cr:rule>
</cr:ruleset>
};
}

sub pidf {
    my ($who, $note) = @_;
    return qq{<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:$who\@$dom"><tuple id="t1"><status><basic>open</basic></status><note>$note</note></tuple></presence>};
}

sub lists {
    my (@who) = @_;
    my $e = join('', map { qq{<entry uri="sip:$_\@$dom"><display-name>\u$_</display-name></entry>} } @who);
    # a nested list repeating bob: merged
    return qq{<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
<list name="friends">$e<list name="close"><entry uri="sip:bob\@$dom"/></list></list>
</resource-lists>
};
}

my $PT = 'P-Asserted-Identity';
my $list_uri = "sip:alice-friends\@$dom";
my $alice = ua('alice');
my $bob = ua('bob');
my $xd = ua('alice');
my ($st, $et);

# ---- provisioning over XCAP ------------------------------------------------
for my $u (qw(bob carol dave)) {
    ($st) = xput($u, 'pres-rules', "sip:$u\@$dom", 'application/auth-policy+xml', rules('allow'));
    ok(scalar($st =~ /^20[01]$/), "$u allows alice in pres-rules ($st)");
}
($st, my $rl_etag) = xput('alice', 'resource-lists', "sip:alice\@$dom", 'application/resource-lists+xml',
    lists(qw(bob carol)));
ok(scalar($st =~ /^20[01]$/), "alice PUTs her buddy list ($st)");
my $rls = qq{<?xml version="1.0" encoding="UTF-8"?>
<rls-services xmlns="urn:ietf:params:xml:ns:rls-services" xmlns:rl="urn:ietf:params:xml:ns:resource-lists">
<service uri="$list_uri"><resource-list>$xroot/resource-lists/users/sip:alice\@$dom/index/~~/resource-lists/list%5b\@name=%22friends%22%5d</resource-list>
<packages><package>presence</package></packages></service>
</rls-services>
};
($st) = xput('alice', 'rls-services', "sip:alice\@$dom", 'application/rls-services+xml', $rls);
ok(scalar($st =~ /^20[01]$/), "alice PUTs her rls-services ($st)");

# bob publishes before the list subscription
my $cid = request($bob, 'PUBLISH', ruri => "sip:bob\@$dom", expires => 600,
    ctype => 'application/pidf+xml', body => pidf('bob', 'bob-first'));
my $r = wait_for($bob, response_to($cid));
ok($r && $r->code == 200, 'bob publishes');

# ---- list subscription -------------------------------------------------------
$cid = request($alice, 'SUBSCRIBE', ruri => $list_uri, expires => 600,
    extra => ['Accept: application/pidf+xml, application/rlmi+xml, multipart/related']);
$r = wait_for($alice, response_to($cid));
ok($r && $r->code == 421 && ($r->get_header('require') // '') =~ /eventlist/,
    'without Supported: eventlist: 421 with Require: eventlist');

my $lcid = request($alice, 'SUBSCRIBE', ruri => $list_uri, expires => 600,
    extra => ['Supported: eventlist', 'Accept: application/pidf+xml, application/rlmi+xml, multipart/related']);
my $t0 = time();
$r = wait_for($alice, response_to($lcid));
ok($r && $r->code == 200, 'list SUBSCRIBE with eventlist: 200');
my $ltag = $r ? to_tag($r) : '';
$r = wait_for($alice, notify_in($lcid));
my $b = $r ? body_of($r) : '';
ok($r && ($r->get_header('content-type') // '') =~ m{^multipart/related;.*type="application/rlmi\+xml"},
    'first NOTIFY is multipart/related with RLMI root');
ok($r && ($r->get_header('require') // '') =~ /eventlist/, 'NOTIFY carries Require: eventlist');
ok($b =~ /<list[^>]*fullState="true"/ && $b =~ /version="0"/, 'full state, version 0');
ok($b =~ /resource uri="sip:bob\@$dom"/ && $b =~ /resource uri="sip:carol\@$dom"/,
    'RLMI lists bob and carol');
my @bobs = $b =~ /resource uri="sip:bob\@/g;
ok(@bobs == 1, 'duplicate bob (nested list) merged');
ok($b =~ /bob-first/ && $b =~ /state="active"/, "bob's presence document is in the NOTIFY");

# bob publishes: partial state with bob only
$cid = request($bob, 'PUBLISH', ruri => "sip:bob\@$dom", expires => 600,
    ctype => 'application/pidf+xml', body => pidf('bob', 'bob-second'));
wait_for($bob, response_to($cid));
$r = wait_for($alice, notify_in($lcid, qr/bob-second/), 4);
$b = $r ? body_of($r) : '';
ok($r, 'bob publishes: alice gets a NOTIFY with the new document');
ok($b =~ /fullState="false"/ && $b =~ /version="1"/ && $b !~ /resource uri="sip:carol/,
    'partial state, version 1, only bob');

# carol blocks alice: carol's instance terminated;reason=rejected
($st) = xput('carol', 'pres-rules', "sip:carol\@$dom", 'application/auth-policy+xml', rules('block'));
ok($st == 200, "carol blocks alice ($st)");
$r = wait_for($alice, notify_in($lcid, qr/carol/), 4);
$b = $r ? body_of($r) : '';
ok($b =~ /<resource uri="sip:carol\@$dom"[^>]*>.*?<instance[^>]*state="terminated"[^>]*reason="rejected"/s
    || $b =~ /<resource uri="sip:carol\@$dom"[^>]*>.*?<instance[^>]*reason="rejected"[^>]*state="terminated"/s,
    "carol's instance: terminated, reason rejected");

# alice adds dave: the next NOTIFY has dave
($st, $rl_etag) = xput('alice', 'resource-lists', "sip:alice\@$dom", 'application/resource-lists+xml',
    lists(qw(bob carol dave)));
ok($st == 200, "alice adds dave to her list ($st)");
$r = wait_for($alice, notify_in($lcid, qr/sip:dave\@/), 4);
$b = $r ? body_of($r) : '';
ok($r && $b =~ /resource uri="sip:dave\@$dom"/, 'NOTIFY lists dave');

# someone else may not subscribe to alice's list
$cid = request($bob, 'SUBSCRIBE', ruri => $list_uri, expires => 600,
    extra => ['Supported: eventlist']);
$r = wait_for($bob, response_to($cid));
ok($r && $r->code == 403, "bob subscribing to alice's list: 403");

# unknown list URI: 404
$cid = request($alice, 'SUBSCRIBE', ruri => "sip:nolist\@$dom", expires => 600,
    extra => ['Supported: eventlist']);
$r = wait_for($alice, response_to($cid));
ok($r && $r->code == 404, 'unknown service: 404');

# ---- filters (RFC 4660) ------------------------------------------------------
$cid = request($alice, 'SUBSCRIBE', ruri => "sip:bob\@$dom", expires => 600,
    ctype => 'application/simple-filter+xml', body => '<filter-set');
$r = wait_for($alice, response_to($cid));
ok($r && $r->code == 400, 'malformed filter: 400');
$cid = request($alice, 'SUBSCRIBE', ruri => "sip:bob\@$dom", expires => 600,
    ctype => 'application/simple-filter+xml',
    body => q{<filter-set xmlns="urn:ietf:params:xml:ns:simple-filter"><filter id="1"><what><include type="namespace">urn:x</include></what></filter></filter-set>});
$r = wait_for($alice, response_to($cid));
ok($r && $r->code == 488, 'unsupported filter feature: 488');
$cid = request($alice, 'SUBSCRIBE', ruri => "sip:bob\@$dom", expires => 600,
    ctype => 'text/plain', body => 'x');
$r = wait_for($alice, response_to($cid));
ok($r && $r->code == 415 && ($r->get_header('accept') // '') =~ /simple-filter/, 'other body type: 415');
my $fcid = request($alice, 'SUBSCRIBE', ruri => "sip:bob\@$dom", expires => 600,
    ctype => 'application/simple-filter+xml',
    body => q{<filter-set xmlns="urn:ietf:params:xml:ns:simple-filter" xmlns:pidf="urn:ietf:params:xml:ns:pidf"><ns-bindings><ns-binding prefix="pidf" urn="urn:ietf:params:xml:ns:pidf"/></ns-bindings><filter id="1"><what><include type="xpath">/pidf:presence/pidf:tuple/pidf:status</include></what></filter></filter-set>});
$r = wait_for($alice, response_to($fcid));
ok($r && $r->code == 200, 'presence SUBSCRIBE with a filter: 200');
$r = wait_for($alice, notify_in($fcid));
$b = $r ? body_of($r) : '';
ok($b =~ /<basic>open<\/basic>/ && $b !~ /bob-second/, 'filtered NOTIFY: status kept, note removed');

# ---- xcap-diff ---------------------------------------------------------------
my $xd_body = qq{<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list>
<entry uri="$xroot/resource-lists/users/sip:alice\@$dom/"/>
<entry uri="$xroot/rls-services/users/sip:alice\@$dom/index"/>
</list></resource-lists>
};
$cid = request($bob, 'SUBSCRIBE', ruri => "sip:alice\@$dom", event => 'xcap-diff', expires => 600,
    ctype => 'application/resource-lists+xml', body => $xd_body);
$r = wait_for($bob, response_to($cid));
ok($r && $r->code == 403, "bob watching alice's documents: 403");

my $xcid = request($xd, 'SUBSCRIBE', ruri => "sip:alice\@$dom", event => 'xcap-diff;diff-processing=no-patching',
    expires => 600, ctype => 'application/resource-lists+xml', body => $xd_body,
    extra => ['Accept: application/xcap-diff+xml']);
$r = wait_for($xd, response_to($xcid));
ok($r && $r->code == 200, 'xcap-diff SUBSCRIBE: 200');
$r = wait_for($xd, notify_in($xcid));
$b = $r ? body_of($r) : '';
ok(($r && ($r->get_header('content-type') // '') eq 'application/xcap-diff+xml'),
    'xcap-diff NOTIFY type');
ok($b =~ /<xcap-diff[^>]*xcap-root="\Q$xroot\E"/, 'xcap-root attribute');
ok($b =~ m{sel="resource-lists/users/sip:alice\@$dom/index"[^>]*new-etag="\Q$rl_etag\E"}
    || $b =~ m{new-etag="\Q$rl_etag\E"[^>]*sel="resource-lists/users/sip:alice\@$dom/index"},
    'initial NOTIFY lists the current ETag of the buddy list');
ok($b =~ m{sel="rls-services/users/sip:alice\@$dom/index"}, 'and the rls-services document');
for my $i (1 .. 2) {
    my $t = time();
    my ($st2, $new) = xput('alice', 'resource-lists', "sip:alice\@$dom", 'application/resource-lists+xml',
        lists($i == 1 ? qw(bob carol dave) : qw(bob dave)));
    $r = wait_for($xd, notify_in($xcid, qr/\Q$new\E/), 2);
    my $dt = time() - $t;
    $b = $r ? body_of($r) : '';
    ok($r && $dt < 1.5 && $b =~ /previous-etag="\Q$rl_etag\E"/ && $b =~ /new-etag="\Q$new\E"/,
        sprintf('xcap-diff NOTIFY %d with old and new ETag after %.2fs', $i, $dt));
    $rl_etag = $new;
}
# the list subscription saw carol leave (full state without carol)
$r = wait_for($alice, notify_in($lcid, qr/fullState="true"/), 4);
$b = $r ? body_of($r) : '';
ok($r && $b !~ /resource uri="sip:carol/ && $b =~ /sip:dave/, 'list NOTIFY after carol was removed: full state without her');

# unsubscribe the list
request($alice, 'SUBSCRIBE', ruri => $list_uri, call_id => $lcid, to_tag => $ltag, expires => 0,
    extra => ['Supported: eventlist']);
$r = wait_for($alice, sub { my $p = shift; $p->is_request && $p->method eq 'NOTIFY'
    && $p->get_header('call-id') eq $lcid && ($p->get_header('subscription-state') // '') =~ /terminated/ }, 4);
ok($r, 'unsubscribe: terminated NOTIFY');

# ---- restart: list, xcap-diff and filtered subscriptions survive -------------
if ($ENV{PRES_PID}) {
    my $a2 = ua('alice');
    my $l2 = request($a2, 'SUBSCRIBE', ruri => $list_uri, expires => 600,
        extra => ['Supported: eventlist']);
    $r = wait_for($a2, notify_in($l2, qr/fullState="true"/));
    my ($v0) = $r ? body_of($r) =~ /version="(\d+)"/ : (undef);
    ok(defined $v0, 'second list subscription before the restart');
    kill 'TERM', $ENV{PRES_PID};
    for (1 .. 50) { last unless kill 0, $ENV{PRES_PID}; sleep 0.1 }
    ok(!kill(0, $ENV{PRES_PID}), 'presenced stopped');
    my $ready = sub { open(my $fh, '<', $ENV{LOG}) or return 0; my $c = () = join('', <$fh>) =~ /ready/g; $c };
    my $before = $ready->();
    system("$ENV{PRESENCED} -f -c $ENV{CONF} >>$ENV{LOG} 2>&1 & echo \$! >$tmp/newpid");
    for (1 .. 100) { last if $ready->() > $before; sleep 0.1 }
    ok($ready->() > $before, 'presenced restarted');
    $r = wait_for($a2, notify_in($l2, qr/fullState="true"/), 5);
    $b = $r ? body_of($r) : '';
    my ($v1) = $b =~ /version="(\d+)"/;
    ok($r && defined $v1 && $v1 > $v0 && $b =~ /sip:dave/ && $b =~ /bob-second/,
        "after the restart: full-state list NOTIFY in the stored dialog, version $v0 -> " . ($v1 // '?'));
    $r = wait_for($xd, notify_in($xcid, qr/\Q$rl_etag\E/), 5);
    ok($r, 'after the restart: xcap-diff full state with the current ETag');
    $r = wait_for($alice, notify_in($fcid), 5);
    $b = $r ? body_of($r) : '';
    ok($r && $b =~ /<basic>open/ && $b !~ /bob-second/, 'after the restart: the filter still applies');
    $cid = request($bob, 'PUBLISH', ruri => "sip:bob\@$dom", expires => 600,
        ctype => 'application/pidf+xml', body => pidf('bob', 'bob-third'));
    $r = wait_for($a2, notify_in($l2, qr/bob-third/), 4);
    ok($r && body_of($r) =~ /fullState="false"/, 'after the restart: partial NOTIFY on a change');
    ($st, my $new) = xput('alice', 'resource-lists', "sip:alice\@$dom", 'application/resource-lists+xml',
        lists(qw(bob carol dave)));
    $r = wait_for($xd, notify_in($xcid, qr/previous-etag="\Q$rl_etag\E"/), 2);
    ok($r && body_of($r) =~ /new-etag="\Q$new\E"/, 'after the restart: xcap-diff change NOTIFY');
}

print "rls.pl: $n checks, $fails failed\n";
exit($fails ? 1 : 0);
