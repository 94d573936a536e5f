using FastSpinnRelay.Protocol.Eieio.Internal;
using FastSpinnRelay.Protocol.Internal;

namespace FastSpinnRelay.Protocol.Eieio;

/// <summary>
/// A command that is only its 2-byte header: EVENT_PADDING (2), EVENT_STOP (3), STOP_SENDING_REQUESTS (4),
/// START_SENDING_REQUESTS (5), STOP_PAUSE_NOTIFICATION (10) and START_RESUME_NOTIFICATION (11). (The bare
/// DATABASE acknowledgement is read by <see cref="EieioDatabaseCommand"/>.)
/// </summary>
/// <param name="Id">One of the bare command IDs (see <see cref="IsBare"/>).</param>
public readonly record struct EieioBareCommand(EieioCommandId Id)
{
    /// <summary>Size of a bare command: just the header.</summary>
    public const int Length = EieioHeader.Length;

    /// <summary>True for the IDs whose command has no body: 2, 3, 4, 5, 10 and 11.</summary>
    public static bool IsBare(EieioCommandId id) => id is
        EieioCommandId.EventPadding or EieioCommandId.EventStop or EieioCommandId.StopSendingRequests
        or EieioCommandId.StartSendingRequests or EieioCommandId.StopPauseNotification
        or EieioCommandId.StartResumeNotification;

    /// <summary>Reads a whole bare command. Never throws, never allocates.</summary>
    public static EieioCommandError TryRead(ReadOnlySpan<byte> source, out EieioBareCommand value)
    {
        value = default;
        EieioCommandError error = EieioCommandLayout.TryReadHeader(source, out ushort id);
        if (error != EieioCommandError.None)
        {
            return error;
        }

        if (!IsBare((EieioCommandId)id))
        {
            return EieioCommandError.WrongCommandId;
        }

        if (source.Length != Length)
        {
            return EieioCommandError.TrailingBytes;
        }

        value = new EieioBareCommand((EieioCommandId)id);
        return EieioCommandError.None;
    }

    /// <summary>Writes the 2-byte command; false when <paramref name="destination"/> is shorter than that.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="Id"/> is not a bare command ID.</exception>
    public bool TryWrite(Span<byte> destination, out int bytesWritten)
    {
        if (!IsBare(Id))
        {
            CallerBug.ArgumentOutOfRange(nameof(Id), "Only commands 2, 3, 4, 5, 10 and 11 are bare.");
        }

        bool ok = EieioCommandLayout.TryWriteHeader(destination, Id, Length);
        bytesWritten = ok ? Length : 0;
        return ok;
    }
}
