using System.Net.Sockets;

namespace FastSpinnRelay.Relay.Spalloc.Internal;

/// <summary>
/// The <see cref="SocketsHttpHandler.ConnectCallback"/> of a proxy websocket's handler: opens the TCP connection (no
/// Nagle delay, as the default does) with its writes going through a <see cref="GatheringStream"/>, which the websocket's
/// sender then uses to write a batch of frames at once. TLS, when used, is layered above it by the handler.
/// </summary>
internal sealed class GatheringConnector
{
    /// <summary>The stream of the last connection opened, or null before the first.</summary>
    public GatheringStream? Stream { get; private set; }

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        Stream = new GatheringStream(new NetworkStream(socket, ownsSocket: true));
        return Stream;
    }
}
