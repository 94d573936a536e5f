using System.Buffers;
using System.Text.Unicode;
using FastSpinnRelay.Protocol.Eieio.Internal;
using FastSpinnRelay.Protocol.Internal;

namespace FastSpinnRelay.Protocol.Eieio;

/// <summary>
/// Command 1, DATABASE (notification protocol): the header followed by an optional UTF-8 database path with no
/// length and no terminator. The bare header (no path) is the acknowledgement.
/// </summary>
public readonly ref struct EieioDatabaseCommand
{
    private EieioDatabaseCommand(ReadOnlySpan<byte> pathUtf8) => PathUtf8 = pathUtf8;

    /// <summary>The database path as UTF-8 bytes (validated), empty for an acknowledgement.</summary>
    public ReadOnlySpan<byte> PathUtf8 { get; }

    /// <summary>True when a path is present (the "database ready" message); false for the bare acknowledgement.</summary>
    public bool HasPath => !PathUtf8.IsEmpty;

    /// <summary>Reads a whole DATABASE command. Never throws, never allocates; <paramref name="value"/> views <paramref name="source"/>.</summary>
    public static EieioCommandError TryRead(ReadOnlySpan<byte> source, out EieioDatabaseCommand value)
    {
        value = default;
        EieioCommandError error = EieioCommandLayout.TryReadBody(source, EieioCommandId.Database, out ReadOnlySpan<byte> path);
        if (error != EieioCommandError.None)
        {
            return error;
        }

        if (!Utf8.IsValid(path))
        {
            return EieioCommandError.InvalidUtf8;
        }

        value = new EieioDatabaseCommand(path);
        return EieioCommandError.None;
    }

    /// <summary>
    /// Writes a DATABASE command carrying <paramref name="pathUtf8"/> (empty: the acknowledgement). False when
    /// <paramref name="destination"/> is shorter than 2 + the path.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="pathUtf8"/> is not valid UTF-8.</exception>
    public static bool TryWrite(Span<byte> destination, ReadOnlySpan<byte> pathUtf8, out int bytesWritten)
    {
        if (!Utf8.IsValid(pathUtf8))
        {
            CallerBug.Argument(nameof(pathUtf8), "The database path must be valid UTF-8.");
        }

        bytesWritten = 0;
        int length = EieioHeader.Length + pathUtf8.Length;
        if (!EieioCommandLayout.TryWriteHeader(destination, EieioCommandId.Database, length))
        {
            return false;
        }

        pathUtf8.CopyTo(destination[EieioHeader.Length..]);
        bytesWritten = length;
        return true;
    }

    /// <summary>
    /// Writes a DATABASE command carrying <paramref name="path"/> encoded as UTF-8. False when
    /// <paramref name="destination"/> is too short for the header and the whole encoded path.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> contains an unpaired surrogate.</exception>
    public static bool TryWrite(Span<byte> destination, ReadOnlySpan<char> path, out int bytesWritten)
    {
        bytesWritten = 0;
        if (!EieioCommandLayout.TryWriteHeader(destination, EieioCommandId.Database, EieioHeader.Length))
        {
            return false;
        }

        OperationStatus status = Utf8.FromUtf16(
            path, destination[EieioHeader.Length..], out _, out int written, replaceInvalidSequences: false);
        if (status == OperationStatus.InvalidData)
        {
            CallerBug.Argument(nameof(path), "The database path contains an unpaired surrogate.");
        }

        if (status != OperationStatus.Done)
        {
            return false;
        }

        bytesWritten = EieioHeader.Length + written;
        return true;
    }
}
