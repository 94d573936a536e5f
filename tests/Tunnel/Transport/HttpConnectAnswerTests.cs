using System.Buffers;
using System.Text;
using FastSpinnRelay.Protocol.Tests.TestSupport;
using FastSpinnRelay.Tunnel.Transport.Internal;

namespace FastSpinnRelay.Tunnel.Tests.TransportStreams;

/// <summary>
/// The reader of an HTTP proxy's answer to CONNECT: good answers with their status, reason, version and exact length
/// (never a byte of the tunnel after the blank line), refusals, and every kind of bad input (truncated, oversized, lines
/// without CRLF, not HTTP, random bytes) as a typed outcome, never an exception.
/// </summary>
public class HttpConnectAnswerTests
{
    private static readonly string[] GoodAnswers =
    [
        "HTTP/1.1 200 Connection established\r\n\r\n",
        "HTTP/1.1 200\r\n\r\n",
        "HTTP/1.1 200 \r\n\r\n",
        "HTTP/1.0 200 OK\r\nProxy-Agent: squid/6.6\r\nVia: 1.1 proxy\r\n\r\n",
        "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\nContent-Length: 3\r\n\r\n",
        "HTTP/1.1 502 Bad Gateway\r\n\r\n",
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n\r\n",
    ];

    /// <summary>Good answers after interim ones: each is read whole, the interim answers skipped.</summary>
    private static readonly string[] AnswersAfterInterimOnes =
    [
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 Connection established\r\n\r\n",
        "HTTP/1.1 100\r\n\r\nHTTP/1.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n",
        "HTTP/1.1 102 Processing\r\nX-Hint: 1\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
    ];

    [Theory]
    [InlineData("HTTP/1.1 200 Connection established\r\n\r\n", 200, "Connection established", 1)]
    [InlineData("HTTP/1.1 200\r\n\r\n", 200, "", 1)]
    [InlineData("HTTP/1.1 204 \r\n\r\n", 204, "", 1)]
    [InlineData("HTTP/1.0 200 OK\r\nProxy-Agent: squid/6.6\r\nVia: 1.1 proxy\r\n\r\n", 200, "OK", 0)]
    [InlineData("HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\n\r\n", 403, "Forbidden", 1)]
    [InlineData("HTTP/1.1 502 Bad Gateway\r\n\r\n", 502, "Bad Gateway", 1)]
    [InlineData("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n\r\n", 503, "Service Unavailable", 1)]
    public void A_good_answer_gives_its_status_reason_version_and_length(string text, int status, string reason, int minor)
    {
        HttpConnectAnswer answer = ReadDone(text);

        Assert.Equal(status, answer.StatusCode);
        Assert.Equal(reason, answer.Reason);
        Assert.Equal(minor, answer.MinorVersion);
        Assert.Equal(Encoding.ASCII.GetByteCount(text), answer.Length);
        Assert.Equal(status is >= 200 and < 300, answer.Opened);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(HttpConnectAnswer.MaxInterimAnswers)]
    public void Interim_answers_are_skipped_and_the_final_one_read_with_all_their_bytes(int interim)
    {
        string text = string.Concat(Enumerable.Repeat("HTTP/1.1 100 Continue\r\nX-Note: wait\r\n\r\n", interim)) + "HTTP/1.1 200 Connection established\r\n\r\n";
        byte[] bytes = [.. Encoding.ASCII.GetBytes(text), 0x16, 0x03, 0x01]; // the tunnel's first bytes (TLS) after it

        Assert.Equal(OperationStatus.Done, HttpConnectAnswer.TryRead(bytes, out var answer, out var error));

        Assert.Equal(HttpConnectAnswerError.None, error);
        Assert.Equal((200, "Connection established", interim, text.Length), (answer!.StatusCode, answer.Reason, answer.InterimAnswers, answer.Length));
        Assert.True(answer.Opened);
    }

    [Fact]
    public void A_refusal_after_an_interim_answer_is_the_refusal_with_its_schemes()
    {
        HttpConnectAnswer answer = ReadDone(AnswersAfterInterimOnes[1]);

        Assert.Equal((407, 0, "Basic", 1), (answer.StatusCode, answer.MinorVersion, answer.AuthenticationSchemes, answer.InterimAnswers));
        Assert.False(answer.Opened);
    }

    [Fact]
    public void More_interim_answers_than_the_limit_are_refused_as_soon_as_the_one_too_many_is_whole()
    {
        string interim = string.Concat(Enumerable.Repeat("HTTP/1.1 100 Continue\r\n\r\n", HttpConnectAnswer.MaxInterimAnswers + 1));

        AssertInvalid(interim, HttpConnectAnswerError.TooManyInterimAnswers);
        AssertInvalid(interim + "HTTP/1.1 200 OK\r\n\r\n", HttpConnectAnswerError.TooManyInterimAnswers);
    }

    [Theory]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n")]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching Protocols\r\n\r\nHTTP/1.1 200 OK\r\n\r\n")]
    public void A_101_is_not_an_answer_to_connect(string text) =>
        AssertInvalid(text, HttpConnectAnswerError.SwitchingProtocols);

    [Theory]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\nSSH-2.0-OpenSSH_9.6\r\n", (int)HttpConnectAnswerError.NotHttp)]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 2x0 OK\r\n\r\n", (int)HttpConnectAnswerError.BadStatusLine)]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\n\n", (int)HttpConnectAnswerError.LineWithoutCrLf)]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\n\r\n", (int)HttpConnectAnswerError.NotHttp)]
    public void What_follows_an_interim_answer_is_judged_as_an_answer(string text, int expected) =>
        AssertInvalid(text, (HttpConnectAnswerError)expected);

    [Fact]
    public void Interim_answers_count_towards_the_8_KiB()
    {
        string interim = "HTTP/1.1 100 Continue\r\nX-Padding: " + new string('a', 3000) + "\r\n\r\n";
        string text = interim + interim + "HTTP/1.1 200 OK\r\nX-Padding: " + new string('b', 3000) + "\r\n\r\n";
        Assert.True(text.Length > HttpConnectAnswer.MaxBytes);

        AssertInvalid(text, HttpConnectAnswerError.TooLong);
        AssertInvalid(text[..HttpConnectAnswer.MaxBytes], HttpConnectAnswerError.TooLong);
    }

    [Fact]
    public void The_bytes_after_the_blank_line_belong_to_the_tunnel_and_are_not_counted_or_judged()
    {
        byte[] bytes = [.. "HTTP/1.1 200 OK\r\n\r\n"u8, 0x16, 0x03, 0x01, (byte)'\n', (byte)'\r', 0xFF];

        Assert.Equal(OperationStatus.Done, HttpConnectAnswer.TryRead(bytes, out var answer, out var error));

        Assert.Equal(HttpConnectAnswerError.None, error);
        Assert.Equal(19, answer!.Length);
    }

    [Fact]
    public void A_407_says_which_schemes_the_proxy_asks_for()
    {
        HttpConnectAnswer answer = ReadDone(
            "HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Negotiate\r\nPROXY-AUTHENTICATE:  NTLM\r\n" +
            "Proxy-Authenticate: Basic realm=\"corp\", charset=\"UTF-8\"\r\n\r\n");

        Assert.Equal(407, answer.StatusCode);
        Assert.Equal("Negotiate, NTLM, Basic", answer.AuthenticationSchemes);
        Assert.Equal("407 Proxy Authentication Required", answer.Status);
    }

    [Fact]
    public void The_reason_is_escaped_and_shortened()
    {
        string reason = "Den\u0001ied " + new string('x', 200);
        HttpConnectAnswer answer = ReadDone($"HTTP/1.1 403 {reason}\r\n\r\n");

        Assert.StartsWith("Den\\x01ied xxx", answer.Reason, StringComparison.Ordinal);
        Assert.EndsWith("…", answer.Reason, StringComparison.Ordinal);
        Assert.True(answer.Reason.Length <= HttpConnectAnswer.MaxReasonLength + 8, answer.Reason);
    }

    public static TheoryData<string, int> Prefixes()
    {
        var data = new TheoryData<string, int>();
        foreach (string answer in GoodAnswers.Concat(AnswersAfterInterimOnes))
        {
            for (int length = 0; length < answer.Length; length++)
            {
                data.Add(answer, length);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Prefixes))]
    public void Every_truncated_answer_needs_more_and_gives_nothing(string text, int length)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(text)[..length];

        Assert.Equal(OperationStatus.NeedMoreData, HttpConnectAnswer.TryRead(bytes, out var answer, out var error));

        Assert.Null(answer);
        Assert.Equal(HttpConnectAnswerError.None, error);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\n\n")]
    [InlineData("HTTP/1.1 200 OK\r\nVia: proxy\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\rVia: proxy\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\n\n")]
    public void A_line_without_crlf_is_refused(string text) =>
        AssertInvalid(text, HttpConnectAnswerError.LineWithoutCrLf);

    [Theory]
    [InlineData("SSH-2.0-OpenSSH_9.6\r\n")]
    [InlineData("HTTP/2 200\r\n\r\n")]
    [InlineData("http/1.1 200 OK\r\n\r\n")]
    [InlineData("\r\n\r\n")]
    [InlineData("\u0016\u0003\u0001")]
    [InlineData("HX")]
    public void What_is_not_http_1_is_refused_as_soon_as_it_shows(string text) =>
        AssertInvalid(text, HttpConnectAnswerError.NotHttp);

    [Theory]
    [InlineData("HTTP/1.1 20 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 2000 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 099 Low\r\n\r\n")]
    [InlineData("HTTP/1.1 600 High\r\n\r\n")]
    [InlineData("HTTP/1.1  200 OK\r\n\r\n")]
    [InlineData("HTTP/1.x 200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 2x0 OK\r\n\r\n")]
    [InlineData("HTTP/1.1\r\n\r\n")]
    [InlineData("HTTP/1.1 +20 OK\r\n\r\n")]
    public void A_bad_status_line_is_refused(string text) =>
        AssertInvalid(text, HttpConnectAnswerError.BadStatusLine);

    [Fact]
    public void No_blank_line_within_8_KiB_is_too_long_whatever_follows()
    {
        string head = "HTTP/1.1 200 OK\r\n" + string.Concat(Enumerable.Repeat("X-Padding: 0123456789abcdef0123456789abcdef\r\n", 400));
        Assert.True(head.Length > HttpConnectAnswer.MaxBytes);

        AssertInvalid(head[..HttpConnectAnswer.MaxBytes], HttpConnectAnswerError.TooLong);
        AssertInvalid(head + "\r\n", HttpConnectAnswerError.TooLong); // its end lies beyond the limit
    }

    [Fact]
    public void An_answer_of_exactly_8_KiB_is_read()
    {
        string start = "HTTP/1.1 200 OK\r\nX-Padding: ";
        string text = start + new string('a', HttpConnectAnswer.MaxBytes - start.Length - 4) + "\r\n\r\n";
        Assert.Equal(HttpConnectAnswer.MaxBytes, text.Length);

        Assert.Equal(HttpConnectAnswer.MaxBytes, ReadDone(text).Length);
    }

    [Fact]
    public void Random_and_mutated_answers_give_one_consistent_outcome_and_never_throw()
    {
        byte[][] samples = [.. GoodAnswers.Concat(AnswersAfterInterimOnes).Select(Encoding.ASCII.GetBytes)];
        foreach (int seed in new[] { 1, 2, 3, 4, 5, 6, 7, 8 })
        {
            FuzzInputs.Run(seed, samples, maxRandomLength: 9000, count: 20_000, input =>
            {
                OperationStatus status = HttpConnectAnswer.TryRead(input, out HttpConnectAnswer? answer, out HttpConnectAnswerError error);
                switch (status)
                {
                    case OperationStatus.Done:
                        Assert.NotNull(answer);
                        Assert.Equal(HttpConnectAnswerError.None, error);
                        Assert.InRange(answer.Length, 16, Math.Min(input.Length, HttpConnectAnswer.MaxBytes));
                        Assert.InRange(answer.StatusCode, 200, 599); // interim answers are skipped, never final
                        Assert.InRange(answer.InterimAnswers, 0, HttpConnectAnswer.MaxInterimAnswers);
                        Assert.False(answer.Reason.Any(char.IsControl), answer.Reason);
                        Assert.False(answer.AuthenticationSchemes.Any(char.IsControl), answer.AuthenticationSchemes);
                        // What follows the answer changes nothing: the answer alone reads the same.
                        Assert.Equal(OperationStatus.Done, HttpConnectAnswer.TryRead(input[..answer.Length], out var again, out _));
                        Assert.Equal((answer.StatusCode, answer.Length, answer.InterimAnswers), (again!.StatusCode, again.Length, again.InterimAnswers));
                        break;
                    case OperationStatus.NeedMoreData:
                        Assert.Null(answer);
                        Assert.Equal(HttpConnectAnswerError.None, error);
                        Assert.True(input.Length < HttpConnectAnswer.MaxBytes);
                        break;
                    default:
                        Assert.Equal(OperationStatus.InvalidData, status);
                        Assert.Null(answer);
                        Assert.NotEqual(HttpConnectAnswerError.None, error);
                        break;
                }
            });
        }
    }

    private static HttpConnectAnswer ReadDone(string text)
    {
        OperationStatus status = HttpConnectAnswer.TryRead(Encoding.UTF8.GetBytes(text), out HttpConnectAnswer? answer, out HttpConnectAnswerError error);
        Assert.True(status == OperationStatus.Done, $"{status} {error}");
        return answer!;
    }

    private static void AssertInvalid(string text, HttpConnectAnswerError expected)
    {
        OperationStatus status = HttpConnectAnswer.TryRead(Encoding.Latin1.GetBytes(text), out HttpConnectAnswer? answer, out HttpConnectAnswerError error);
        Assert.Equal((OperationStatus.InvalidData, expected), (status, error));
        Assert.Null(answer);
    }
}
