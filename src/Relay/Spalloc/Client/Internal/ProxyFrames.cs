using FastSpinnRelay.Protocol.Spalloc;

namespace FastSpinnRelay.Relay.Spalloc.Client.Internal;

/// <summary>A MSG frame: channel + payload.</summary>
internal readonly ref struct MessageFrame(uint channel, ReadOnlySpan<byte> payload) : IFrameSource
{
    private readonly ReadOnlySpan<byte> _payload = payload;

    public int Length => SpallocFrameWriter.MessageHeaderLength + _payload.Length;

    public void Write(Span<byte> destination) => SpallocFrameWriter.TryWriteMessage(destination, channel, _payload, out _);
}

/// <summary>A MSG_TO frame: unbound channel, board chip, port + payload.</summary>
internal readonly ref struct MessageToFrame(uint channel, uint x, uint y, uint port, ReadOnlySpan<byte> payload) : IFrameSource
{
    private readonly ReadOnlySpan<byte> _payload = payload;

    public int Length => SpallocFrameWriter.MessageToHeaderLength + _payload.Length;

    public void Write(Span<byte> destination) => SpallocFrameWriter.TryWriteMessageTo(destination, channel, x, y, port, _payload, out _);
}

/// <summary>A ready-made frame (the rare control frames: OPEN, CLOSE, OPEN_UNBOUND).</summary>
internal readonly ref struct RawFrame(ReadOnlySpan<byte> frame) : IFrameSource
{
    private readonly ReadOnlySpan<byte> _frame = frame;

    public void Write(Span<byte> destination) => _frame.CopyTo(destination);
}
