using FastSpinnRelay.Protocol.Internal;

namespace FastSpinnRelay.Protocol.Sdp;

/// <summary>
/// A zero-copy view of one SDP-over-UDP datagram: 2 pad bytes (ignored, as the board ignores them), the
/// 8-byte <see cref="SdpHeader"/>, then up to 272 bytes of payload (for SCP, see <see cref="ScpMessage"/>).
/// </summary>
public readonly ref struct SdpDatagram
{
    private SdpDatagram(SdpHeader header, ReadOnlySpan<byte> payload)
    {
        Header = header;
        Payload = payload;
    }

    /// <summary>The SDP header.</summary>
    public SdpHeader Header { get; }

    /// <summary>Everything after the header (0..272 bytes), a slice of the input.</summary>
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>Reads a whole datagram. Never throws, never allocates; short input is malformed, not "need more".</summary>
    public static SdpError TryRead(ReadOnlySpan<byte> source, out SdpDatagram datagram)
    {
        if (source.Length < SdpConstants.UdpHeaderLength)
        {
            datagram = default;
            return SdpError.TooShort;
        }

        if (source.Length > SdpConstants.MaxDatagramLength)
        {
            datagram = default;
            return SdpError.TooLong;
        }

        datagram = new SdpDatagram(SdpHeader.Read(source), source[SdpConstants.UdpHeaderLength..]);
        return SdpError.None;
    }

    /// <summary>
    /// Writes pad, header and payload. Returns false (writing nothing useful) when <paramref name="destination"/>
    /// is too small; throws <see cref="ArgumentOutOfRangeException"/> when the payload exceeds 272 bytes.
    /// </summary>
    public static bool TryWrite(
        Span<byte> destination, in SdpHeader header, ReadOnlySpan<byte> payload, out int bytesWritten)
    {
        if (payload.Length > SdpConstants.MaxPayloadLength)
        {
            CallerBug.ArgumentOutOfRange(nameof(payload), CallerBugReason.SdpPayloadTooLong);
        }

        int length = SdpConstants.UdpHeaderLength + payload.Length;
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return false;
        }

        header.Write(destination);
        payload.CopyTo(destination[SdpConstants.UdpHeaderLength..]);
        bytesWritten = length;
        return true;
    }
}
