using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using FastSpinnRelay.Tunnel.Transport.Internal;

namespace FastSpinnRelay.Tunnel.Transport;

/// <summary>The way through an HTTP proxy: CONNECT host:port, then the proxy's answer, byte-exact.</summary>
public sealed partial class TcpTunnelConnector
{
    /// <summary>Most bytes of a proxy's answer that is not HTTP shown (escaped) in the error.</summary>
    private const int ShownAnswerBytes = 60;

    /// <summary>
    /// Connects to <paramref name="proxy"/>, asks it for a tunnel to the server (CONNECT, with Basic credentials when it
    /// has a user) and reads its answer, all within <paramref name="timeout"/>. Returns the stream whose next byte is the
    /// server's: the answer is read up to its blank line and not one byte further.
    /// </summary>
    /// <exception cref="IOException">The proxy cannot be reached (the message names it and the server).</exception>
    /// <exception cref="TunnelHttpProxyException">The proxy did not open the tunnel: what it said, or that it said nothing.</exception>
    private async ValueTask<NetworkStream> ConnectThroughAsync(TunnelHttpProxy proxy, Socket socket, CancellationTokenSource timeout, CancellationToken caller)
    {
        try
        {
            await socket.ConnectAsync(proxy.Host, proxy.Port, timeout.Token).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new IOException($"cannot reach the HTTP proxy {proxy} (for a tunnel to {Server}): {e.Message}", e);
        }
        catch (OperationCanceledException e) when (!caller.IsCancellationRequested)
        {
            throw new IOException($"cannot reach the HTTP proxy {proxy} (for a tunnel to {Server}) within {TimeoutText} s", e);
        }

        var network = new NetworkStream(socket, ownsSocket: false);
        try
        {
            await network.WriteAsync(ConnectRequest(proxy), timeout.Token).ConfigureAwait(false);
            HttpConnectAnswer answer = await ReadAnswerAsync(socket, proxy, timeout.Token).ConfigureAwait(false);
            return answer.Opened ? network : throw Refused(proxy, answer);
        }
        catch (OperationCanceledException) when (!caller.IsCancellationRequested)
        {
            throw new TunnelHttpProxyException($"the HTTP proxy {proxy} did not answer CONNECT {Server} within {TimeoutText} s", statusCode: 0);
        }
        catch (Exception e) when (e is SocketException || (e is IOException && e is not TunnelHttpProxyException))
        {
            throw new TunnelHttpProxyException($"the HTTP proxy {proxy} dropped the connection before answering CONNECT {Server}: {e.Message}", e);
        }
    }

    private string TimeoutText => ConnectTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>
    /// Reads the proxy's answer without taking a byte past its blank line: each read peeks at what has arrived, and only
    /// the bytes that belong to the answer are then taken off the socket. Interim 1xx answers before it (100 Continue) are
    /// skipped (<see cref="HttpConnectAnswer"/>). At most <see cref="HttpConnectAnswer.MaxBytes"/>, interim answers included.
    /// </summary>
    private async ValueTask<HttpConnectAnswer> ReadAnswerAsync(Socket socket, TunnelHttpProxy proxy, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(HttpConnectAnswer.MaxBytes);
        try
        {
            int taken = 0; // bytes of the answer taken off the socket, at the start of buffer
            while (true)
            {
                int peeked = await socket.ReceiveAsync(buffer.AsMemory(taken, HttpConnectAnswer.MaxBytes - taken), SocketFlags.Peek, cancellationToken)
                    .ConfigureAwait(false);
                if (peeked == 0)
                {
                    throw new TunnelHttpProxyException(taken == 0
                        ? $"the HTTP proxy {proxy} closed the connection before answering CONNECT {Server}"
                        : $"the HTTP proxy {proxy} closed the connection in the middle of its answer to CONNECT {Server}, after {taken} bytes", statusCode: 0);
                }

                HttpConnectAnswer? answer = Read(proxy, buffer, taken + peeked);
                int wanted = answer is null ? peeked : answer.Length - taken;
                await TakeAsync(socket, proxy, buffer.AsMemory(taken, wanted), cancellationToken).ConfigureAwait(false);
                taken += wanted;
                if (answer is not null)
                {
                    return answer;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The answer in the first <paramref name="received"/> bytes of <paramref name="buffer"/>, or null when more are needed.</summary>
    private HttpConnectAnswer? Read(TunnelHttpProxy proxy, byte[] buffer, int received)
    {
        ReadOnlySpan<byte> bytes = buffer.AsSpan(0, received);
        return HttpConnectAnswer.TryRead(bytes, out HttpConnectAnswer? answer, out HttpConnectAnswerError error) switch
        {
            OperationStatus.Done => answer,
            OperationStatus.NeedMoreData => null,
            _ => throw NotAnAnswer(proxy, error, bytes),
        };
    }

    /// <summary>Takes exactly <paramref name="destination"/>'s length off the socket (bytes a peek has already seen arrive).</summary>
    private async ValueTask TakeAsync(Socket socket, TunnelHttpProxy proxy, Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (destination.Length > 0)
        {
            int n = await socket.ReceiveAsync(destination, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new TunnelHttpProxyException($"the HTTP proxy {proxy} closed the connection in the middle of its answer to CONNECT {Server}", statusCode: 0);
            }

            destination = destination[n..];
        }
    }

    /// <summary>CONNECT host:port HTTP/1.1, its Host header and, with a user, Proxy-Authorization: Basic (UTF-8 user:password).</summary>
    private byte[] ConnectRequest(TunnelHttpProxy proxy)
    {
        var request = new StringBuilder("CONNECT ").Append(Server).Append(" HTTP/1.1\r\nHost: ").Append(Server).Append("\r\n");
        if (proxy.UserName is { } user)
        {
            string credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{proxy.Password}"));
            request.Append("Proxy-Authorization: Basic ").Append(credentials).Append("\r\n");
        }

        return Encoding.ASCII.GetBytes(request.Append("\r\n").ToString());
    }

    /// <summary>A status other than 2xx: what the proxy said, and for the usual ones what it most likely means.</summary>
    private TunnelHttpProxyException Refused(TunnelHttpProxy proxy, HttpConnectAnswer answer)
    {
        string offers = answer.AuthenticationSchemes.Length == 0 ? ""
            : answer.AuthenticationSchemes.Contains("Basic", StringComparison.OrdinalIgnoreCase) ? $"; it asks for {answer.AuthenticationSchemes}"
            : $"; it asks for {answer.AuthenticationSchemes}, not Basic, the only scheme sent here";
        string message = answer.StatusCode switch
        {
            407 when proxy.UserName is null =>
                $"the HTTP proxy {proxy} wants credentials to open a tunnel to {Server}: {answer.Status}{offers}",
            407 => $"the HTTP proxy {proxy} refused the credentials of user '{TunnelLog.Escape(proxy.UserName)}' for a tunnel to {Server}: {answer.Status}{offers}",
            403 when _port != 443 => $"the HTTP proxy {proxy} refused a tunnel to {Server}: {answer.Status} (many proxies allow CONNECT to port 443 only: " +
                "serve the tunnel on 443)",
            502 or 504 => $"the HTTP proxy {proxy} could not reach {Server}: {answer.Status}",
            _ => $"the HTTP proxy {proxy} did not open a tunnel to {Server}: {answer.Status}",
        };
        return new TunnelHttpProxyException(message, answer.StatusCode);
    }

    private TunnelHttpProxyException NotAnAnswer(TunnelHttpProxy proxy, HttpConnectAnswerError error, ReadOnlySpan<byte> received)
    {
        string why = error switch
        {
            HttpConnectAnswerError.NotHttp => "it does not start with HTTP/1.",
            HttpConnectAnswerError.BadStatusLine => "its status line is not HTTP/1.x NNN REASON",
            HttpConnectAnswerError.LineWithoutCrLf => "a line does not end with CRLF",
            HttpConnectAnswerError.TooManyInterimAnswers => $"more than {HttpConnectAnswer.MaxInterimAnswers} interim 1xx answers before a final one",
            HttpConnectAnswerError.SwitchingProtocols => "101 Switching Protocols, which does not open a tunnel",
            _ => $"no blank line within {HttpConnectAnswer.MaxBytes} bytes",
        };
        string shown = TunnelLog.Escape(received[..Math.Min(received.Length, ShownAnswerBytes)]) + (received.Length > ShownAnswerBytes ? "…" : "");
        return new TunnelHttpProxyException($"the HTTP proxy {proxy} answered CONNECT {Server} with something that is not an HTTP answer ({why}): '{shown}'", statusCode: 0);
    }
}
