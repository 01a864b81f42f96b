#!/usr/bin/perl
# load.pl - load generator of bench/rls/run.sh (UDP, loopback only, bounded).
#
#   load.pl SIP_PORT PID MEMBERS LIST_SUBS PLAIN_WATCHERS RATE SECS THROTTLE_S
#
# One UDP socket plays every party (the server trusts 127.0.0.1 and takes
# P-Asserted-Identity): members m0..m{MEMBERS-1} publish, alice subscribes.
#  phase "list":  LIST_SUBS list subscriptions to sip:bench-list@ (one list
#                 of MEMBERS members, RFC 4662);
#  phase "plain": PLAIN_WATCHERS x MEMBERS plain presence subscriptions.
# In each phase, after every initial NOTIFY arrived, the members publish
# (PUBLISH with SIP-If-Match, round robin) at RATE per second for SECS
# seconds; NOTIFYs are counted until THROTTLE_S after the last PUBLISH.
# CPU of the server from /proc/PID/stat (utime + stime) over the same span.
# Prints one "result ..." line per phase.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Socket qw(SOL_SOCKET SO_RCVBUF);
use Time::HiRes qw(time sleep);

my ($port, $pid, $M, $NL, $NP, $rate, $secs, $throttle) = @ARGV;
die "usage\n" unless $throttle;
my $dom = 'ims.example.com';
my $s = IO::Socket::INET->new(Proto => 'udp', LocalAddr => '127.0.0.1', LocalPort => 0,
    PeerAddr => "127.0.0.1:$port") or die "socket: $!";
setsockopt($s, SOL_SOCKET, SO_RCVBUF, 16 * 1024 * 1024);
my $me = $s->sockport;
my $sel = IO::Select->new($s);
my $seq = 0;
my (%resp, %etag, %ttag);           # Call-ID -> status; member -> etag; Call-ID -> to-tag
my ($notifies, $updates, $bytes, %initial, $counting) = (0, 0, 0);
my %pubcid;                        # Call-ID of a PUBLISH -> member
my %seen;                          # "Call-ID CSeq" of NOTIFYs already counted
my %ftag;                          # Call-ID -> our From tag (dialog)
my %msg;                           # Call-ID -> last request sent (for retransmission)

sub cpu {
    open(my $fh, '<', "/proc/$pid/stat") or return 0;
    my $l = <$fh>;
    $l =~ s/^.*\) //;
    my @f = split / /, $l;
    return $f[11] + $f[12];	# utime + stime (fields 14, 15)
}

sub send_req {
    my ($method, $ruri, $from, %o) = @_;
    my $cid = $o{cid} || sprintf('b%d-%d@bench', $$, ++$seq);
    my $ft = $ftag{$cid} //= "t$seq";
    my $body = $o{body} // '';
    my $h = "$method $ruri SIP/2.0\r\n"
        . "Via: SIP/2.0/UDP 127.0.0.1:$me;branch=z9hG4bK$seq" . int(rand(1e6)) . "\r\n"
        . "From: <$from>;tag=$ft\r\nTo: <$ruri>" . ($o{totag} ? ";tag=$o{totag}" : '') . "\r\n"
        . "Call-ID: $cid\r\nCSeq: " . (++$seq) . " $method\r\nMax-Forwards: 70\r\n"
        . "Contact: <sip:load\@127.0.0.1:$me>\r\nP-Asserted-Identity: <$from>\r\n"
        . "Event: presence\r\nExpires: " . ($o{expires} // 3600) . "\r\n"
        . ($o{extra} // '')
        . ($o{ctype} ? "Content-Type: $o{ctype}\r\n" : '')
        . "Content-Length: " . length($body) . "\r\n\r\n" . $body;
    $s->send($h);
    $msg{$cid} = $h;
    return $cid;
}

# Reads what is there (up to $wait seconds for the first packet).
sub pump {
    my ($wait) = @_;
    my $got = 0;
    while ($sel->can_read($got ? 0 : $wait)) {
        my $buf;
        $s->recv($buf, 70000) or last;
        $got++;
        my ($head, $body) = split /\r\n\r\n/, $buf, 2;
        if ($head =~ m{^NOTIFY }) {
            my @via = $head =~ /^(Via:.*)$/mig;
            my ($from) = $head =~ /^(From:.*)$/mi;
            my ($to) = $head =~ /^(To:.*)$/mi;
            my ($cid) = $head =~ /^Call-ID:\s*(\S+)/mi;
            my ($cseq) = $head =~ /^(CSeq:.*)$/mi;
            s/\r$// for @via, $from, $to, $cseq;
            $s->send("SIP/2.0 200 OK\r\n" . join("\r\n", @via, $from, $to, "Call-ID: $cid", $cseq)
                . "\r\nContent-Length: 0\r\n\r\n");
            $initial{$cid} = 1;
            next if $seen{"$cid $cseq"}++;	# a retransmission (our 200 came late)
            if ($counting) {
                $notifies++;
                $bytes += length($buf);
                my $n = () = ($body // '') =~ /<resource /g;
                $updates += $n ? $n : 1;
            }
        } elsif ($head =~ m{^SIP/2.0 (\d+)}) {
            my $code = $1;
            next if $code < 200;
            my ($cid) = $head =~ /^Call-ID:\s*(\S+)/mi;
            $resp{$cid} = $code;
            if ($head =~ /^To:.*;tag=([^;\s>]+)/mi) { $ttag{$cid} = $1 }
            if (defined(my $m = $pubcid{$cid})) {
                ($etag{$m}) = $head =~ /^SIP-ETag:\s*(\S+)/mi;
            }
        }
    }
    return $got;
}

sub pidf {
    my ($m, $note) = @_;
    return qq{<?xml version="1.0" encoding="UTF-8"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:m$m\@$dom"><tuple id="t"><status><basic>open</basic></status><note>$note</note></tuple></presence>};
}

sub publish {
    my ($m, $note) = @_;
    my $cid = send_req('PUBLISH', "sip:m$m\@$dom", "sip:m$m\@$dom", ctype => 'application/pidf+xml',
        body => pidf($m, $note), expires => 3600,
        extra => ($etag{$m} ? "SIP-If-Match: $etag{$m}\r\n" : ''));
    $pubcid{$cid} = $m;
}

# Sends requests with at most $window outstanding (unanswered ones are
# retransmitted after a second, same branch); returns their Call-IDs.
sub paced {
    my ($n, $mk) = @_;
    my (@cids, %at);
    my $window = 50;
    my $open = sub {
        my $lo = $#cids - 4 * $window;
        return grep { !exists $resp{$_} } @cids[($lo > 0 ? $lo : 0) .. $#cids];
    };
    for my $i (0 .. $n - 1) {
        while ((my @o = $open->()) >= $window) {
            pump(0.05);
            for (@o) { if (time() - $at{$_} > 1) { $s->send($msg{$_}); $at{$_} = time() } }
        }
        push @cids, $mk->($i);
        $at{$cids[-1]} = time();
    }
    for my $try (1 .. 30) {
        my @miss = grep { !exists $resp{$_} } @cids;
        last unless @miss;
        if ($try > 1) { $s->send($msg{$_}) for @miss }
        my $end = time() + 1;
        while (time() < $end && grep { !exists $resp{$_} } @miss) { pump(0.05) }
    }
    return @cids;
}

sub wait_initial {
    my (@cids) = @_;
    my $end = time() + 60;
    while (time() < $end && grep { !$initial{$_} } @cids) { pump(0.1) }
    return scalar grep { $initial{$_} } @cids;
}

sub measure {
    my ($label, $nsubs) = @_;
    ($notifies, $updates, $bytes) = (0, 0, 0);
    pump(0.2);
    $counting = 1;
    my ($c0, $t0) = (cpu(), time());
    my $npub = int($rate * $secs);
    for my $k (0 .. $npub - 1) {
        my $due = $t0 + $k / $rate;
        while ((my $left = $due - time()) > 0) { pump($left) }
        publish($k % $M, "$label-$k");
    }
    my $tp = time();
    my $end = $tp + $throttle + 3;	# backlog: NOTIFYs still in flight
    while (time() < $end) { pump(0.05) }
    my ($c1, $t1) = (cpu(), time());
    $counting = 0;
    my $ticks = $c1 - $c0;
    printf "result phase=%s subs=%d publishes=%d secs=%.2f notifies=%d updates=%d bytes=%d cpu_ticks=%d\n",
        $label, $nsubs, $npub, $t1 - $t0, $notifies, $updates, $bytes, $ticks;
}

# ---- setup: one publication per member ----
for my $m (0 .. $M - 1) { publish($m, 'start'); pump(0) }
{ my $end = time() + 10; while (time() < $end && keys(%etag) < $M) { pump(0.05) } }
printf STDERR "load: %d members published\n", scalar grep { $etag{$_} } keys %etag;
{ my %h; $h{$resp{$_} // 'none'}++ for keys %pubcid; print STDERR "load: publish answers: ", join(' ', map { "$_=$h{$_}" } sort keys %h), "\n" }

# ---- phase list ----
my @lc = paced($NL, sub {
    send_req('SUBSCRIBE', "sip:bench-list\@$dom", "sip:alice\@$dom",
        extra => "Supported: eventlist\r\nAccept: application/pidf+xml, application/rlmi+xml, multipart/related\r\n");
});
my $ok = grep { ($resp{$_} // 0) == 200 } @lc;
my $got = wait_initial(@lc);
printf STDERR "load: %d/%d list subscriptions (200), %d initial NOTIFYs\n", $ok, $NL, $got;
measure('list', $ok);
delete $resp{$_} for @lc;
paced(scalar(@lc), sub {
    my $c = $lc[$_[0]];
    send_req('SUBSCRIBE', "sip:bench-list\@$dom", "sip:alice\@$dom", cid => $c, totag => $ttag{$c},
        expires => 0, extra => "Supported: eventlist\r\n");
});
{ my $end = time() + $throttle + 1; while (time() < $end) { pump(0.05) } }

# ---- phase plain ----
my @pc = paced($NP * $M, sub {
    my $m = $_[0] % $M;
    send_req('SUBSCRIBE', "sip:m$m\@$dom", "sip:alice\@$dom");
});
$ok = grep { ($resp{$_} // 0) == 200 } @pc;
{ my %h; $h{$resp{$_} // 'none'}++ for @pc; print STDERR "load: plain answers: ", join(' ', map { "$_=$h{$_}" } sort keys %h), "\n" }
$got = wait_initial(@pc);
printf STDERR "load: %d/%d plain subscriptions (200), %d initial NOTIFYs\n", $ok, $NP * $M, $got;
measure('plain', $ok);
