using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Eieio.Internal;
using FastSpinnRelay.Protocol.Internal;

namespace FastSpinnRelay.Protocol.Eieio;

/// <summary>
/// Command 6, SPINNAKER_REQUEST_BUFFERS: a core asks the host for more buffered-input data. Exactly 12 bytes:
/// <code>
///  0      2   3   4        5     6        7     8
/// +------+---+---+--------+-----+--------+-----+------------------+
/// |0x4006| y | x | p &lt;&lt; 3 | pad | region | seq | space (u32 LE)   |
/// +------+---+---+--------+-----+--------+-----+------------------+
/// </code>
/// The reader ignores the pad byte, the low 3 bits of the processor byte and the high 4 bits of the region byte,
/// as spinnman does; the writer sends zeros there.
/// </summary>
/// <param name="X">Chip X.</param>
/// <param name="Y">Chip Y.</param>
/// <param name="Processor">Core number, 0–31.</param>
/// <param name="Region">Buffer region, 0–15.</param>
/// <param name="Sequence">Sequence number.</param>
/// <param name="SpaceAvailable">Free bytes in the region's buffer.</param>
public readonly record struct EieioRequestBuffersCommand(
    byte X, byte Y, byte Processor, byte Region, byte Sequence, uint SpaceAvailable)
{
    /// <summary>Size of the command in bytes.</summary>
    public const int Length = 12;

    private const int YOffset = 2;
    private const int XOffset = 3;
    private const int ProcessorOffset = 4;
    private const int RegionOffset = 6;
    private const int SequenceOffset = 7;
    private const int SpaceOffset = 8;
    private const int RegionMask = 0x0F;

    /// <summary>Reads a whole SPINNAKER_REQUEST_BUFFERS command. Never throws, never allocates.</summary>
    public static EieioCommandError TryRead(ReadOnlySpan<byte> source, out EieioRequestBuffersCommand value)
    {
        value = default;
        EieioCommandError error = EieioCommandLayout.TryReadBody(source, EieioCommandId.SpinnakerRequestBuffers, out _);
        if (error == EieioCommandError.None)
        {
            error = EieioCommandLayout.CheckLength(source.Length, Length);
        }

        if (error != EieioCommandError.None)
        {
            return error;
        }

        value = new EieioRequestBuffersCommand(
            X: source[XOffset],
            Y: source[YOffset],
            Processor: (byte)(source[ProcessorOffset] >> EieioCommandLayout.ProcessorShift),
            Region: (byte)(source[RegionOffset] & RegionMask),
            Sequence: source[SequenceOffset],
            SpaceAvailable: BinaryPrimitives.ReadUInt32LittleEndian(source[SpaceOffset..]));
        return EieioCommandError.None;
    }

    /// <summary>Writes the 12-byte command; false when <paramref name="destination"/> is shorter than that.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="Processor"/> is above 31 or <see cref="Region"/> above 15.</exception>
    public bool TryWrite(Span<byte> destination, out int bytesWritten)
    {
        if (Processor > EieioCommandLayout.MaxProcessor)
        {
            CallerBug.ArgumentOutOfRange(nameof(Processor), "Processor must be 0-31.");
        }

        if (Region > RegionMask)
        {
            CallerBug.ArgumentOutOfRange(nameof(Region), "Region must be 0-15.");
        }

        bytesWritten = 0;
        if (!EieioCommandLayout.TryWriteHeader(destination, EieioCommandId.SpinnakerRequestBuffers, Length))
        {
            return false;
        }

        destination[YOffset] = Y;
        destination[XOffset] = X;
        destination[ProcessorOffset] = (byte)(Processor << EieioCommandLayout.ProcessorShift);
        destination[ProcessorOffset + 1] = 0;
        destination[RegionOffset] = Region;
        destination[SequenceOffset] = Sequence;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[SpaceOffset..], SpaceAvailable);
        bytesWritten = Length;
        return true;
    }
}
