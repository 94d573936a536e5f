using FastSpinnRelay.Relay.Internal;

namespace FastSpinnRelay.Relay.Cli;

/// <summary>
/// The small text files of the tunnel's credentials. Reading (a key, a certificate and its private key, an allow list):
/// whole, at most <see cref="MaxBytes"/>, UTF-8. Writing (<c>keygen</c>, <c>certgen</c>): secrets with mode 600, never
/// over an existing file unless asked. Each failure is one usage error naming the file.
/// </summary>
internal static class CredentialFiles
{
    /// <summary>Most bytes read (1 MiB): far beyond any key, certificate chain or allow list, short of a wrong file such as /dev/zero.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>
    /// The text of <paramref name="file"/>; <paramref name="what"/> names it in errors ("key file", "allow file"). A file
    /// that holds more than <paramref name="maxBytes"/> is refused once that much has been read.
    /// </summary>
    /// <exception cref="RelayToolException">It cannot be read, or holds more than <paramref name="maxBytes"/>.</exception>
    public static string ReadText(FileInfo file, string what, int maxBytes = MaxBytes)
    {
        ArgumentNullException.ThrowIfNull(file);
        try
        {
            return BoundedFile.ReadText(file.FullName, maxBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RelayToolException(ExitCode.Usage, $"cannot read the {what} {file.FullName}: {e.Message}");
        }
    }

    /// <summary>
    /// Writes <paramref name="text"/> to <paramref name="file"/>, which must not exist unless <paramref name="overwrite"/>.
    /// A <paramref name="secret"/> is readable by its owner only (mode 600), also when it replaces a file that was not.
    /// </summary>
    /// <exception cref="RelayToolException">It exists (without <paramref name="overwrite"/>) or cannot be written.</exception>
    public static void WriteText(FileInfo file, string text, string what, bool secret, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(file);
        var options = new FileStreamOptions { Mode = overwrite ? FileMode.Create : FileMode.CreateNew, Access = FileAccess.Write };
        if (secret && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        try
        {
            using var stream = new FileStream(file.FullName, options);
            if (secret && overwrite && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(stream.SafeFileHandle, OwnerOnly); // a replaced file keeps its mode otherwise
            }

            using var writer = new StreamWriter(stream);
            writer.Write(text);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RelayToolException(ExitCode.Usage, $"cannot write the {what} to {file.FullName}: {ex.Message}");
        }
    }

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
}
