using System.Buffers;
using System.Globalization;
using System.Text;

namespace FastSpinnRelay.Tunnel.Transport.Internal;

/// <summary>Why an HTTP proxy's answer to CONNECT cannot be read.</summary>
internal enum HttpConnectAnswerError
{
    /// <summary>No problem (the answer was read, or more bytes are needed).</summary>
    None = 0,

    /// <summary>It does not start with "HTTP/1.": not an HTTP proxy (an SSH or tunnel server, say), or not HTTP/1.x.</summary>
    NotHttp,

    /// <summary>The status line is not "HTTP/1.x NNN reason" with a status of 100 to 599.</summary>
    BadStatusLine,

    /// <summary>A line ends with a bare LF, or holds a CR that no LF follows.</summary>
    LineWithoutCrLf,

    /// <summary>No blank line within <see cref="HttpConnectAnswer.MaxBytes"/>.</summary>
    TooLong,

    /// <summary>More than <see cref="HttpConnectAnswer.MaxInterimAnswers"/> interim (1xx) answers before the final one.</summary>
    TooManyInterimAnswers,

    /// <summary>101 Switching Protocols: an upgrade, which is not an answer to CONNECT (RFC 9110 section 9.3.6).</summary>
    SwitchingProtocols,
}

/// <summary>
/// An HTTP proxy's answer to <c>CONNECT host:port HTTP/1.1</c>, read from the bytes received so far:
/// <code>
///   HTTP/1.1 200 Connection established\r\n      status line: version, SP, 3 digits, [SP reason]
///   Proxy-Agent: squid\r\n                        headers (only Proxy-Authenticate is looked at)
///   \r\n                                          blank line: the answer ends here
///   ...                                           the tunnel's own bytes (never looked at)
/// </code>
/// HTTP lets a server send interim answers (1xx, each a status line, headers and a blank line) before the final one, as
/// in <c>HTTP/1.1 100 Continue\r\n\r\n</c>: they are skipped, at most <see cref="MaxInterimAnswers"/> of them, and the
/// final answer read after them. 101 Switching Protocols is not an answer to CONNECT and is refused.
/// <see cref="TryRead"/> has three outcomes and consumes nothing itself: Done (with the final answer and the length of
/// everything up to and including its blank line), NeedMoreData, or InvalidData with a typed reason. It reads at most
/// <see cref="MaxBytes"/>, interim answers included, and never a byte past the final blank line. Text from the proxy (the
/// reason, the schemes) is escaped and shortened.
/// </summary>
internal sealed class HttpConnectAnswer
{
    /// <summary>The most bytes an answer may take, blank line included (8 KiB, as a status line and a few headers need far less).</summary>
    internal const int MaxBytes = 8 * 1024;

    /// <summary>Most interim (1xx) answers skipped before the final one; one more is refused (a proxy that never answers for good).</summary>
    internal const int MaxInterimAnswers = 4;

    /// <summary>Most characters of the proxy's reason phrase kept (escaped) for messages.</summary>
    internal const int MaxReasonLength = 80;

    /// <summary>Most Proxy-Authenticate schemes kept.</summary>
    private const int MaxSchemes = 4;

    private static ReadOnlySpan<byte> Http1 => "HTTP/1."u8;

    private static ReadOnlySpan<byte> BlankLineEnd => "\r\n\r\n"u8;

    private static ReadOnlySpan<byte> ProxyAuthenticate => "proxy-authenticate"u8;

    private HttpConnectAnswer(int statusCode, string reason, int minorVersion, int length, string schemes, int interimAnswers)
    {
        InterimAnswers = interimAnswers;
        StatusCode = statusCode;
        Reason = reason;
        MinorVersion = minorVersion;
        Length = length;
        AuthenticationSchemes = schemes;
    }

    /// <summary>Interim (1xx) answers skipped before this one (at most <see cref="MaxInterimAnswers"/>).</summary>
    public int InterimAnswers { get; }

    /// <summary>The final answer's status code (200 to 599).</summary>
    public int StatusCode { get; }

    /// <summary>The reason phrase, escaped and cut to <see cref="MaxReasonLength"/> ("" when the proxy sent none).</summary>
    public string Reason { get; }

    /// <summary>x of HTTP/1.x.</summary>
    public int MinorVersion { get; }

    /// <summary>
    /// Bytes of the answer, from the first status line (an interim answer's, if any) to the final blank line included: the
    /// tunnel's bytes start after them.
    /// </summary>
    public int Length { get; }

    /// <summary>The schemes of the Proxy-Authenticate headers ("Basic, Negotiate"), escaped; "" when there were none.</summary>
    public string AuthenticationSchemes { get; }

    /// <summary>True for a 2xx status: the proxy opened the tunnel.</summary>
    public bool Opened => StatusCode is >= 200 and < 300;

    /// <summary>"407 Proxy Authentication Required", or "407" without a reason, for messages.</summary>
    public string Status => Reason.Length == 0
        ? StatusCode.ToString(CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{StatusCode} {Reason}");

    /// <summary>
    /// Reads the answer at the start of <paramref name="received"/>, skipping interim ones. Done: <paramref name="answer"/>
    /// is the final one and its <see cref="Length"/> says how many bytes it took with the interim ones (the rest belong to
    /// the tunnel). NeedMoreData: no final blank line yet, nothing wrong so far, fewer than <see cref="MaxBytes"/>
    /// received. InvalidData: <paramref name="error"/> says why.
    /// </summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> received, out HttpConnectAnswer? answer, out HttpConnectAnswerError error)
    {
        answer = null;
        ReadOnlySpan<byte> window = received[..Math.Min(received.Length, MaxBytes)];
        int start = 0; // where the answer being read starts: after the interim ones
        for (int interim = 0; ; interim++)
        {
            OperationStatus status = TryReadOne(window[start..], out int length, out int code, out int minor, out string reason, out error);
            if (status == OperationStatus.NeedMoreData)
            {
                // The limit counts every answer's bytes: a proxy cannot stretch it with interim ones.
                error = received.Length >= MaxBytes ? HttpConnectAnswerError.TooLong : HttpConnectAnswerError.None;
                return error == HttpConnectAnswerError.None ? OperationStatus.NeedMoreData : OperationStatus.InvalidData;
            }

            if (status != OperationStatus.Done)
            {
                return status;
            }

            if (code >= 200)
            {
                ReadOnlySpan<byte> head = window[start..(start + length - 2)];
                answer = new HttpConnectAnswer(code, reason, minor, start + length, Schemes(head[(head.IndexOf("\r\n"u8) + 2)..]), interim);
                return OperationStatus.Done;
            }

            if (code == 101)
            {
                error = HttpConnectAnswerError.SwitchingProtocols;
                return OperationStatus.InvalidData;
            }

            if (interim == MaxInterimAnswers)
            {
                error = HttpConnectAnswerError.TooManyInterimAnswers;
                return OperationStatus.InvalidData;
            }

            start += length; // an interim answer: the next one follows it
        }
    }

    /// <summary>
    /// One answer (interim or final) at the start of <paramref name="window"/>: its length up to and including its blank
    /// line and its status line; NeedMoreData when its blank line is not there yet.
    /// </summary>
    private static OperationStatus TryReadOne(
        ReadOnlySpan<byte> window, out int length, out int status, out int minor, out string reason, out HttpConnectAnswerError error)
    {
        (status, minor, reason) = (0, 0, "");
        int prefix = Math.Min(window.Length, Http1.Length);
        if (!window[..prefix].SequenceEqual(Http1[..prefix]))
        {
            (length, error) = (0, HttpConnectAnswerError.NotHttp);
            return OperationStatus.InvalidData;
        }

        length = FindEnd(window, out error);
        if (error != HttpConnectAnswerError.None)
        {
            return OperationStatus.InvalidData;
        }

        if (length < 0)
        {
            return OperationStatus.NeedMoreData;
        }

        ReadOnlySpan<byte> head = window[..(length - 2)]; // each line with its CRLF; the blank line's CRLF left out
        if (!TryReadStatusLine(head[..head.IndexOf("\r\n"u8)], out status, out minor, out reason))
        {
            error = HttpConnectAnswerError.BadStatusLine;
            return OperationStatus.InvalidData;
        }

        return OperationStatus.Done;
    }

    /// <summary>
    /// The length of the answer up to and including the first blank line, or -1 when <paramref name="window"/> has none
    /// yet. Each line must end with CRLF: a bare LF, or a CR followed by anything else, is <see cref="HttpConnectAnswerError.LineWithoutCrLf"/>
    /// (a CR at the very end may yet be followed by its LF).
    /// </summary>
    private static int FindEnd(ReadOnlySpan<byte> window, out HttpConnectAnswerError error)
    {
        error = HttpConnectAnswerError.None;
        for (int i = 0; i < window.Length; i++)
        {
            byte b = window[i];
            if (b == (byte)'\n')
            {
                if (i == 0 || window[i - 1] != (byte)'\r')
                {
                    error = HttpConnectAnswerError.LineWithoutCrLf;
                    return -1;
                }

                if (i >= 3 && window[(i - 3)..(i + 1)].SequenceEqual(BlankLineEnd))
                {
                    return i + 1;
                }
            }
            else if (b == (byte)'\r' && i + 1 < window.Length && window[i + 1] != (byte)'\n')
            {
                error = HttpConnectAnswerError.LineWithoutCrLf;
                return -1;
            }
        }

        return -1;
    }

    /// <summary>"HTTP/1.x NNN[ reason]", x one digit, NNN 100 to 599.</summary>
    private static bool TryReadStatusLine(ReadOnlySpan<byte> line, out int status, out int minor, out string reason)
    {
        status = 0;
        minor = 0;
        reason = "";
        // HTTP/1.x SP NNN: 12 bytes, then nothing or SP and the reason.
        if (line.Length < 12 || !char.IsAsciiDigit((char)line[7]) || line[8] != (byte)' '
            || !int.TryParse(line.Slice(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out status)
            || status is < 100 or > 599 || (line.Length > 12 && line[12] != (byte)' '))
        {
            return false;
        }

        minor = line[7] - '0';
        ReadOnlySpan<byte> phrase = line.Length > 13 ? line[13..] : [];
        reason = TunnelLog.Escape(phrase[..Math.Min(phrase.Length, MaxReasonLength)]) + (phrase.Length > MaxReasonLength ? "…" : "");
        return true;
    }

    /// <summary>The first token (the scheme) of each Proxy-Authenticate header in <paramref name="headers"/>, at most <see cref="MaxSchemes"/>.</summary>
    private static string Schemes(ReadOnlySpan<byte> headers)
    {
        var schemes = new StringBuilder();
        int kept = 0;
        while (headers.Length > 0 && kept < MaxSchemes)
        {
            int end = headers.IndexOf("\r\n"u8);
            ReadOnlySpan<byte> line = end < 0 ? headers : headers[..end];
            headers = end < 0 ? [] : headers[(end + 2)..];
            int colon = line.IndexOf((byte)':');
            if (colon < 0 || !Ascii.EqualsIgnoreCase(line[..colon].Trim((byte)' '), ProxyAuthenticate))
            {
                continue;
            }

            ReadOnlySpan<byte> value = line[(colon + 1)..].TrimStart((byte)' ').TrimStart((byte)'\t');
            int stop = value.IndexOfAny((byte)' ', (byte)',', (byte)'\t');
            ReadOnlySpan<byte> scheme = stop < 0 ? value : value[..stop];
            if (scheme.Length > 0)
            {
                schemes.Append(kept++ == 0 ? "" : ", ").Append(TunnelLog.Escape(scheme[..Math.Min(scheme.Length, 32)]));
            }
        }

        return schemes.ToString();
    }
}
