using System.Globalization;
using System.Text;

namespace FastSpinnRelay.Relay.Internal;

/// <summary>
/// Reads a small text file (a configuration, a key, a certificate) that should never be large: in pieces, refusing it
/// once more than a limit has been read. A wrong path such as /dev/zero, a FIFO or a huge file then fails at once with a
/// message naming the limit, instead of the relay reading until memory runs out (a file's reported size cannot be
/// trusted: /dev/zero reports 0).
/// </summary>
internal static class BoundedFile
{
    /// <summary>The UTF-8 text of <paramref name="path"/> (a leading byte-order mark dropped).</summary>
    /// <exception cref="IOException">It cannot be read, or holds more than <paramref name="maxBytes"/> bytes.</exception>
    /// <exception cref="UnauthorizedAccessException">It may not be read.</exception>
    public static string ReadText(string path, int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);

        // Small pieces, not one buffer of maxBytes: that would land on the large object heap and cost a full
        // collection for a 64-byte key.
        using var content = new MemoryStream();
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0))
        {
            var piece = new byte[4096];
            int read;
            while ((read = stream.Read(piece)) > 0)
            {
                if (content.Length + read > maxBytes)
                {
                    throw new IOException(string.Create(CultureInfo.InvariantCulture, $"it holds more than {maxBytes} bytes"));
                }

                content.Write(piece, 0, read);
            }
        }

        var bytes = content.GetBuffer().AsSpan(0, (int)content.Length);
        return Encoding.UTF8.GetString(bytes.StartsWith(Encoding.UTF8.Preamble) ? bytes[Encoding.UTF8.Preamble.Length..] : bytes);
    }
}
