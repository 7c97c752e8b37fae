#!/usr/bin/perl
# A small SMS centre for the SMPP tests, on Debian's Net::SMPP
# (libnet-smpp-perl), an SMPP 3.4 implementation nobody here wrote.
#
#   perl smsc.pl PORT SYSTEM_ID PASSWORD
#
# Accepts an ESME's bind_transceiver (refused with ESME_RINVPASWD for other
# credentials), answers each submit_sm with a message id and prints it as
#   SUBMIT <id> <destination> <data_coding> <esm_class> <hex of short_message>
# then, when a receipt is asked for, sends the delivery receipt as a
# deliver_sm. Each line on its input, "<from> <to> <text in UTF-8>", is a
# text from a phone, sent to the ESME as a UCS-2 deliver_sm. A connection
# that ends is waited for again (the ESME reconnects).
use strict;
use warnings;
use Net::SMPP;
use IO::Select;
use Encode qw(decode encode);

$| = 1;
my ($port, $system_id, $password) = @ARGV;
die "usage: smsc.pl PORT SYSTEM_ID PASSWORD\n" unless defined $password;
my $listener = Net::SMPP->new_listen('127.0.0.1', port => $port, smpp_version => 0x34)
    or die "cannot listen on $port: $!\n";
print "LISTENING $port\n";
my $next_id = 7000;
my @waiting;    # texts from phones typed before an ESME was bound

while (my $smpp = $listener->accept) {
    print "CONNECTED\n";
    my $bound = 0;
    my $select = IO::Select->new($smpp, \*STDIN);
    CONNECTION: while (1) {
        for my $fh ($select->can_read(0.2)) {
            if (fileno($fh) == fileno(STDIN)) {
                my $line = <STDIN>;
                exit 0 unless defined $line;
                chomp $line;
                push @waiting, $line if $line ne '';
                next;
            }
            my $pdu = $smpp->read_pdu();
            unless ($pdu) {
                print "DISCONNECTED\n";
                last CONNECTION;
            }
            my $cmd = $pdu->{cmd};
            if ($cmd == Net::SMPP::CMD_bind_transceiver) {
                my $ok = $pdu->{system_id} eq $system_id && $pdu->{password} eq $password;
                $smpp->bind_transceiver_resp(seq => $pdu->{seq}, status => ($ok ? 0 : 0x0E), system_id => 'smsc');
                print $ok ? "BOUND $pdu->{system_id}\n" : "REFUSED $pdu->{system_id}\n";
                $bound = $ok;
            } elsif ($cmd == Net::SMPP::CMD_submit_sm) {
                my $id = sprintf('%X', $next_id++);
                $smpp->submit_sm_resp(seq => $pdu->{seq}, message_id => $id);
                printf "SUBMIT %s %s %d %d %s\n", $id, $pdu->{destination_addr}, $pdu->{data_coding},
                    $pdu->{esm_class}, unpack('H*', $pdu->{short_message});
                if ($pdu->{registered_delivery} & 1) {
                    $smpp->deliver_sm(
                        source_addr => $pdu->{destination_addr}, destination_addr => $pdu->{source_addr},
                        esm_class => 0x04, data_coding => 0, async => 1,
                        short_message => "id:$id sub:001 dlvrd:001 submit date:2612030900 done date:2612030900 stat:DELIVRD err:000 text:");
                }
            } elsif ($cmd == Net::SMPP::CMD_enquire_link) {
                $smpp->enquire_link_resp(seq => $pdu->{seq});
            } elsif ($cmd == Net::SMPP::CMD_unbind) {
                $smpp->unbind_resp(seq => $pdu->{seq});
                print "UNBOUND\n";
                last CONNECTION;
            } elsif ($cmd == Net::SMPP::CMD_deliver_sm_resp) {
                print "DELIVERED $pdu->{seq} $pdu->{status}\n";
            } else {
                printf "IGNORED 0x%08X\n", $cmd;
            }
        }
        while ($bound && @waiting) {
            my ($from, $to, $text) = split / /, shift(@waiting), 3;
            $smpp->deliver_sm(source_addr => $from, destination_addr => $to, data_coding => 8, async => 1,
                short_message => encode('UTF-16BE', decode('UTF-8', $text)));
            print "MO $from\n";
        }
    }
    $smpp->close;
}
