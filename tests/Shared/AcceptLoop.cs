using System.Net.Sockets;

namespace FastSpinnRelay.Tests.Shared;

/// <summary>The accept loop of the tests' small TCP servers (a forwarder, a proxy): each connection served on its own.</summary>
internal static class AcceptLoop
{
    /// <summary>
    /// Accepts connections on <paramref name="listener"/> until <paramref name="stop"/> fires or the listener stops, and
    /// hands each to <paramref name="serve"/> without waiting for it (it must catch its own errors).
    /// </summary>
    public static async Task RunAsync(TcpListener listener, Func<Socket, Task> serve, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await listener.AcceptSocketAsync(stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = serve(accepted);
        }
    }
}
