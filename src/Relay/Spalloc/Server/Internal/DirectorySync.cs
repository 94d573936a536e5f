using System.Runtime.InteropServices;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>
/// fsync(2) of a directory, so a rename into it survives a power cut (Linux; elsewhere a no-op). Best effort: a
/// directory that cannot be opened or synced (some file systems refuse) is skipped; the file's own data is already on disk.
/// </summary>
internal static partial class DirectorySync
{
    private const int ReadOnly = 0;               // O_RDONLY
    private const int Directory = 0x1_0000;       // O_DIRECTORY on x86-64 and arm64 Linux
    private const int CloseOnExec = 0x8_0000;     // O_CLOEXEC

    /// <summary>Flushes the directory entry changes of <paramref name="directory"/>; false when it could not.</summary>
    public static bool TryFlush(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        var fd = Open(directory, ReadOnly | Directory | CloseOnExec);
        if (fd < 0)
        {
            return false;
        }

        try
        {
            return FSync(fd) == 0;
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
