using FastSpinnRelay.Protocol.Internal;

namespace FastSpinnRelay.Protocol.Boot;

/// <summary>
/// Turns a boot image into its packet sequence, one packet per <see cref="TryWriteNext"/> call, written into a
/// caller buffer (<see cref="BootPacket.MaxLength"/> bytes always suffice) without allocating:
/// START (op3 = blocks − 1), BLOCK × n (op1 = <c>(words_in_block − 1) &lt;&lt; 8 | index</c>), END (op1 = 1).
/// </summary>
/// <remarks>
/// A mutable struct: keep it in a local or a non-readonly field (a copy has its own position). It holds the image
/// as <see cref="ReadOnlyMemory{T}"/>, so a sender can keep it across the awaits that pace the packets. Unlike
/// this splitter, rig and spinnman put 255 in the word-count field even for a short last block;
/// <see cref="BootImageAssembler"/> accepts both.
/// </remarks>
public struct BootImageSplitter
{
    private readonly ReadOnlyMemory<byte> _image;
    private int _next;

    /// <summary>Prepares the sequence; throws <see cref="ArgumentException"/> unless the image is 4..32768 bytes in whole words.</summary>
    public BootImageSplitter(ReadOnlyMemory<byte> image)
    {
        if (!BootImage.IsValidLength(image.Length))
        {
            CallerBug.Argument(nameof(image), CallerBugReason.BootImageLengthInvalid);
        }

        _image = image;
        _next = 0;
    }

    /// <summary>Number of BLOCK packets (0 for a default instance).</summary>
    public readonly int BlockCount => BootImage.BlockCount(_image.Length);

    /// <summary>START + blocks + END; 0 for a default instance.</summary>
    public readonly int PacketCount => BlockCount == 0 ? 0 : BlockCount + 2;

    /// <summary>Packets written so far.</summary>
    public readonly int PacketsWritten => _next;

    /// <summary>True once END has been written.</summary>
    public readonly bool IsComplete => _next >= PacketCount;

    /// <summary>
    /// Writes the next packet. Returns false (and stays on the same packet) when <paramref name="destination"/>
    /// is too small. Throws <see cref="InvalidOperationException"/> once <see cref="IsComplete"/>.
    /// </summary>
    public bool TryWriteNext(Span<byte> destination, out int bytesWritten)
    {
        if (IsComplete)
        {
            CallerBug.InvalidOperation(CallerBugReason.BootSequenceFinished);
        }

        int blocks = BlockCount;
        bool written;
        if (_next == 0)
        {
            written = BootPacket.TryWrite(destination, BootOpcode.Start, 0, 0, (uint)(blocks - 1), [], out bytesWritten);
        }
        else if (_next <= blocks)
        {
            int index = _next - 1;
            int offset = index * BootImage.BlockLength;
            ReadOnlySpan<byte> block = _image.Span.Slice(offset, Math.Min(BootImage.BlockLength, _image.Length - offset));
            uint operand1 = ((uint)((block.Length / sizeof(uint)) - 1) << 8) | (uint)index;
            written = BootPacket.TryWrite(destination, BootOpcode.Block, operand1, 0, 0, block, out bytesWritten);
        }
        else
        {
            written = BootPacket.TryWrite(destination, BootOpcode.End, 1, 0, 0, [], out bytesWritten);
        }

        if (written)
        {
            _next++;
        }

        return written;
    }

    /// <summary>Starts again from START (a host resends the whole image when the board does not come up).</summary>
    public void Restart() => _next = 0;
}
