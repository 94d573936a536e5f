using FastSpinnRelay.Protocol.Spalloc.Internal;

namespace FastSpinnRelay.Protocol.Spalloc;

/// <summary>
/// A zero-copy view of one server → client Spalloc proxy frame (what a client reads): the OPEN, CLOSE and
/// OPEN_UNBOUND replies, MSG and ERROR. Layouts: protocols.md §7.2 and the diagram on <c>Internal/SpallocLayout</c>.
/// Fields an op does not carry read as 0 (or empty).
/// </summary>
public readonly ref struct SpallocServerFrame
{
    // Exact length per op (minimum for MSG and ERROR); 0 = never sent by a server (MSG_TO).
    private static ReadOnlySpan<byte> Lengths =>
    [
        SpallocLayout.OpenReplyLength, SpallocLayout.CloseReplyLength, SpallocLayout.MessageHeaderLength,
        SpallocLayout.OpenUnboundReplyLength, 0, SpallocLayout.ErrorHeaderLength,
    ];

    private readonly ReadOnlySpan<byte> _tail;

    private SpallocServerFrame(SpallocOp op, uint correlationId, uint channelId, uint port, ReadOnlySpan<byte> tail)
    {
        Op = op;
        CorrelationId = correlationId;
        ChannelId = channelId;
        Port = port;
        _tail = tail;
    }

    /// <summary>The frame's op.</summary>
    public SpallocOp Op { get; }

    /// <summary>Correlation ID of the request being answered (OPEN, CLOSE and OPEN_UNBOUND replies, ERROR).</summary>
    public uint CorrelationId { get; }

    /// <summary>
    /// Channel ID (the replies, MSG). In a CLOSE reply, 0 means the channel was not open; the server never hands out 0.
    /// </summary>
    public uint ChannelId { get; }

    /// <summary>The server's IPv4 address for an unbound channel, 4 bytes in network order (OPEN_UNBOUND reply).</summary>
    public ReadOnlySpan<byte> Ipv4Address => Op == SpallocOp.OpenUnbound ? _tail : default;

    /// <summary>The server's UDP port for an unbound channel (OPEN_UNBOUND reply); the raw word after <see cref="SpallocFrameError.BadPort"/>.</summary>
    public uint Port { get; }

    /// <summary>The raw UDP payload received from the board (MSG); may be empty.</summary>
    public ReadOnlySpan<byte> Payload => Op == SpallocOp.Message ? _tail : default;

    /// <summary>The error text, as sent: UTF-8 but not validated, so escape it before logging (ERROR).</summary>
    public ReadOnlySpan<byte> ErrorUtf8 => Op == SpallocOp.Error ? _tail : default;

    /// <summary>
    /// Reads <paramref name="source"/> as one whole server frame. Never throws, never allocates. On
    /// <see cref="SpallocFrameError.None"/> and on <see cref="SpallocFrameError.BadPort"/> <paramref name="value"/>
    /// views <paramref name="source"/>; otherwise it is default.
    /// </summary>
    public static SpallocFrameError TryRead(ReadOnlySpan<byte> source, out SpallocServerFrame value)
    {
        value = default;
        SpallocFrameError error = SpallocLayout.Check(source, Lengths, out SpallocOp op);
        if (error != SpallocFrameError.None)
        {
            return error;
        }

        uint word1 = SpallocLayout.ReadWord(source, SpallocLayout.Word1);
        switch (op)
        {
            case SpallocOp.Message:
                value = new SpallocServerFrame(op, 0, word1, 0, source[SpallocLayout.MessageHeaderLength..]);
                return SpallocFrameError.None;
            case SpallocOp.Error:
                value = new SpallocServerFrame(op, word1, 0, 0, source[SpallocLayout.ErrorHeaderLength..]);
                return SpallocFrameError.None;
            case SpallocOp.OpenUnbound:
                uint port = SpallocLayout.ReadWord(source, SpallocLayout.Word4);
                value = new SpallocServerFrame(
                    op, word1, SpallocLayout.ReadWord(source, SpallocLayout.Word2), port, source.Slice(SpallocLayout.Word3, SpallocLayout.Ipv4Length));
                return SpallocLayout.IsValidPort(port) ? SpallocFrameError.None : SpallocFrameError.BadPort;
            default: // Open and Close replies: corr, channel
                value = new SpallocServerFrame(op, word1, SpallocLayout.ReadWord(source, SpallocLayout.Word2), 0, default);
                return SpallocFrameError.None;
        }
    }
}
