using System.Text;

namespace FastSpinnRelay.Relay.Cli;

/// <summary>
/// Reads the small text files of the tunnel's credentials (a key, a certificate and its private key, an allow list):
/// whole, at most <see cref="MaxBytes"/>, UTF-8. A file that cannot be read, or is far too large to be one, is one usage
/// error naming it.
/// </summary>
internal static class CredentialFiles
{
    /// <summary>Most bytes read (1 MiB): far beyond any key, certificate chain or allow list, short of a wrong file such as /dev/zero.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>The text of <paramref name="file"/>; <paramref name="what"/> names it in errors ("key file", "allow file").</summary>
    /// <exception cref="RelayToolException">It cannot be read, or holds more than <see cref="MaxBytes"/>.</exception>
    public static string ReadText(FileInfo file, string what)
    {
        ArgumentNullException.ThrowIfNull(file);
        var buffer = new byte[MaxBytes + 1];
        int length;
        try
        {
            using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read);
            length = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RelayToolException(ExitCode.Usage, $"cannot read the {what} {file.FullName}: {e.Message}");
        }

        if (length > MaxBytes)
        {
            throw new RelayToolException(ExitCode.Usage, $"{file.FullName} holds more than {MaxBytes} bytes, too many for the {what}");
        }

        var bytes = buffer.AsSpan(0, length);
        return Encoding.UTF8.GetString(bytes.StartsWith(Encoding.UTF8.Preamble) ? bytes[Encoding.UTF8.Preamble.Length..] : bytes);
    }
}
