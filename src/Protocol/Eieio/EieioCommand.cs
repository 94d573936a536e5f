using FastSpinnRelay.Protocol.Eieio.Internal;

namespace FastSpinnRelay.Protocol.Eieio;

/// <summary>
/// Any EIEIO command packet: the first stop for a datagram that <see cref="EieioHeader.IsCommand(ReadOnlySpan{byte})"/>
/// says is a command. <see cref="TryRead"/> checks the body against the command's own layout, so after
/// <see cref="EieioCommandError.None"/> the typed reader for <see cref="Id"/> (e.g.
/// <see cref="EieioRequestBuffersCommand.TryRead"/>) is certain to succeed too.
/// </summary>
public readonly ref struct EieioCommand
{
    private EieioCommand(ushort rawId, ReadOnlySpan<byte> packet)
    {
        RawId = rawId;
        Packet = packet;
    }

    /// <summary>The 14-bit command ID as sent (header bits 13–0).</summary>
    public ushort RawId { get; }

    /// <summary>The command ID; a value outside the enum when <see cref="IsKnown"/> is false.</summary>
    public EieioCommandId Id => (EieioCommandId)RawId;

    /// <summary>True for the IDs 1–12 this library can read.</summary>
    public bool IsKnown => IsKnownId(RawId);

    /// <summary>The whole packet, header included.</summary>
    public ReadOnlySpan<byte> Packet { get; }

    /// <summary>The bytes after the 2-byte header.</summary>
    public ReadOnlySpan<byte> Body => Packet[EieioHeader.Length..];

    /// <summary>
    /// Reads <paramref name="source"/> as one whole command and validates its body. Never throws, never allocates.
    /// On <see cref="EieioCommandError.None"/> and on <see cref="EieioCommandError.UnknownCommandId"/>
    /// <paramref name="value"/> views the packet (so an unknown ID can be logged or forwarded as is); on every
    /// other error it is default.
    /// </summary>
    public static EieioCommandError TryRead(ReadOnlySpan<byte> source, out EieioCommand value)
    {
        value = default;
        EieioCommandError error = EieioCommandLayout.TryReadHeader(source, out ushort id);
        if (error != EieioCommandError.None)
        {
            return error;
        }

        if (!IsKnownId(id))
        {
            value = new EieioCommand(id, source);
            return EieioCommandError.UnknownCommandId;
        }

        error = (EieioCommandId)id switch
        {
            EieioCommandId.Database => EieioDatabaseCommand.TryRead(source, out _),
            EieioCommandId.SpinnakerRequestBuffers => EieioRequestBuffersCommand.TryRead(source, out _),
            EieioCommandId.HostSendSequencedData => EieioSequencedDataCommand.TryRead(source, out _),
            EieioCommandId.SpinnakerRequestReadData => EieioReadDataRequestCommand.TryRead(source, out _),
            EieioCommandId.HostDataRead => EieioHostDataReadCommand.TryRead(source, out _),
            EieioCommandId.HostDataReadAck => EieioDataReadAckCommand.TryRead(source, out _),
            _ => EieioBareCommand.TryRead(source, out _),
        };
        if (error == EieioCommandError.None)
        {
            value = new EieioCommand(id, source);
        }

        return error;
    }

    private static bool IsKnownId(ushort id) =>
        id is >= (ushort)EieioCommandId.Database and <= (ushort)EieioCommandId.HostDataReadAck;
}
