using FastSpinnRelay.Protocol.Eieio.Internal;

namespace FastSpinnRelay.Protocol.Eieio;

/// <summary>
/// Command 12, HOST_DATA_READ_ACK: a core acknowledges a HOST_DATA_READ. Exactly 3 bytes:
/// <code>
/// +--------+-----+
/// | 0x400C | seq |
/// +--------+-----+
/// </code>
/// </summary>
/// <param name="Sequence">Sequence number of the HOST_DATA_READ being acknowledged.</param>
public readonly record struct EieioDataReadAckCommand(byte Sequence)
{
    /// <summary>Size of the command in bytes.</summary>
    public const int Length = 3;

    private const int SequenceOffset = 2;

    /// <summary>Reads a whole HOST_DATA_READ_ACK command. Never throws, never allocates.</summary>
    public static EieioCommandError TryRead(ReadOnlySpan<byte> source, out EieioDataReadAckCommand value)
    {
        value = default;
        EieioCommandError error = EieioCommandLayout.TryReadBody(source, EieioCommandId.HostDataReadAck, out _);
        if (error == EieioCommandError.None)
        {
            error = EieioCommandLayout.CheckLength(source.Length, Length);
        }

        if (error != EieioCommandError.None)
        {
            return error;
        }

        value = new EieioDataReadAckCommand(source[SequenceOffset]);
        return EieioCommandError.None;
    }

    /// <summary>Writes the 3-byte command; false when <paramref name="destination"/> is shorter than that.</summary>
    public bool TryWrite(Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (!EieioCommandLayout.TryWriteHeader(destination, EieioCommandId.HostDataReadAck, Length))
        {
            return false;
        }

        destination[SequenceOffset] = Sequence;
        bytesWritten = Length;
        return true;
    }
}
