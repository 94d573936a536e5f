using FastSpinnRelay.Protocol.Spalloc.Internal;

namespace FastSpinnRelay.Protocol.Spalloc;

/// <summary>
/// A zero-copy view of one client → server Spalloc proxy frame (what a server reads): OPEN, CLOSE, MSG,
/// OPEN_UNBOUND or MSG_TO. Layouts: protocols.md §7.2 and the diagram on <c>Internal/SpallocLayout</c>. Fields an
/// op does not carry read as 0 (or empty).
/// </summary>
public readonly ref struct SpallocClientFrame
{
    // Exact length per op (minimum for MSG and MSG_TO); 0 = never sent by a client (ERROR).
    private static ReadOnlySpan<byte> Lengths =>
    [
        SpallocLayout.OpenLength, SpallocLayout.CloseLength, SpallocLayout.MessageHeaderLength,
        SpallocLayout.OpenUnboundLength, SpallocLayout.MessageToHeaderLength, 0,
    ];

    private SpallocClientFrame(SpallocOp op, uint correlationId, uint channelId, uint chipX, uint chipY, uint port, ReadOnlySpan<byte> payload)
    {
        Op = op;
        CorrelationId = correlationId;
        ChannelId = channelId;
        ChipX = chipX;
        ChipY = chipY;
        Port = port;
        Payload = payload;
    }

    /// <summary>The frame's op.</summary>
    public SpallocOp Op { get; }

    /// <summary>Correlation ID the reply will echo (OPEN, CLOSE, OPEN_UNBOUND).</summary>
    public uint CorrelationId { get; }

    /// <summary>Channel the frame is about (CLOSE, MSG, MSG_TO).</summary>
    public uint ChannelId { get; }

    /// <summary>X of the board's Ethernet chip (OPEN, MSG_TO).</summary>
    public uint ChipX { get; }

    /// <summary>Y of the board's Ethernet chip (OPEN, MSG_TO).</summary>
    public uint ChipY { get; }

    /// <summary>Board UDP port (OPEN, MSG_TO): 1–65535, except after <see cref="SpallocFrameError.BadPort"/> where it is the raw word.</summary>
    public uint Port { get; }

    /// <summary>The raw UDP payload to send (MSG, MSG_TO); may be empty.</summary>
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>
    /// Reads <paramref name="source"/> as one whole client frame. Never throws, never allocates. On
    /// <see cref="SpallocFrameError.None"/>, and on <see cref="SpallocFrameError.BadPort"/> (so the server can still
    /// answer with the correlation ID), <paramref name="value"/> views <paramref name="source"/>; otherwise default.
    /// </summary>
    public static SpallocFrameError TryRead(ReadOnlySpan<byte> source, out SpallocClientFrame value)
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
                value = new SpallocClientFrame(op, 0, word1, 0, 0, 0, source[SpallocLayout.MessageHeaderLength..]);
                return SpallocFrameError.None;
            case SpallocOp.Close:
                value = new SpallocClientFrame(op, word1, SpallocLayout.ReadWord(source, SpallocLayout.Word2), 0, 0, 0, default);
                return SpallocFrameError.None;
            case SpallocOp.OpenUnbound:
                value = new SpallocClientFrame(op, word1, 0, 0, 0, 0, default);
                return SpallocFrameError.None;
            default: // Open and MessageTo share x, y, port at words 2–4
                uint x = SpallocLayout.ReadWord(source, SpallocLayout.Word2);
                uint y = SpallocLayout.ReadWord(source, SpallocLayout.Word3);
                uint port = SpallocLayout.ReadWord(source, SpallocLayout.Word4);
                value = op == SpallocOp.Open
                    ? new SpallocClientFrame(op, word1, 0, x, y, port, default)
                    : new SpallocClientFrame(op, 0, word1, x, y, port, source[SpallocLayout.MessageToHeaderLength..]);
                return SpallocLayout.IsValidPort(port) ? SpallocFrameError.None : SpallocFrameError.BadPort;
        }
    }
}
