namespace FastSpinnRelay.Relay.Udp.Internal;

/// <summary>
/// One datagram of a coalesced receive, in place: its bytes inside the message the kernel filled and that message's
/// sender. Valid while the message is (until the batch's next receive), like a batch slot.
/// </summary>
internal unsafe struct DatagramView
{
    public byte* Payload;
    public UdpAddress* Source;
    public int Length;
    public bool Truncated;
}
