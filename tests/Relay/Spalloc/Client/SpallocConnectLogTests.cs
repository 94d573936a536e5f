using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Tests.Cli;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc.Client;

/// <summary>What `connect` tells the user when the websocket drops (runs alone: it swaps the log's writer).</summary>
[Collection(ConsoleCollection.Name)]
public class SpallocConnectLogTests
{
    [Fact]
    public async Task A_dropped_websocket_is_logged_with_every_interrupted_flow_then_the_reconnection()
    {
        var original = Log.Output;
        var text = new StringWriter();
        var log = TextWriter.Synchronized(text);
        Log.Output = log;
        try
        {
            using var visualiser = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            await using var s = await ConnectScenario.StartAsync(
                Loopback.Board(),
                o => o with { LiveOutputs = [(IPEndPoint)visualiser.Client.LocalEndPoint!], ReconnectDelay = TimeSpan.FromMilliseconds(50) });
            using var scp = new ScpClient(s.Connection.Boards[0].Scp);
            Assert.False(scp.Version().IsBooted);

            s.Server.Server.DropWebSockets(s.JobId, "test: connection dropped");
            Assert.True(Loopback.WaitUntil(() => s.Connection.Reconnects == 1), "no reconnection");

            // The reconnection is counted before its log line is written: wait (bounded) for the line itself.
            string Written()
            {
                lock (log)
                {
                    return text.ToString();
                }
            }

            Loopback.WaitUntil(() => Written().Contains("every channel reopened", StringComparison.Ordinal));
            var written = Written();

            Assert.Contains("test: connection dropped", written, StringComparison.Ordinal);
            Assert.Contains($"interrupted: SCP 0,0 for {scp.LocalEndPoint}; live output to {visualiser.Client.LocalEndPoint}", written, StringComparison.Ordinal);
            Assert.Contains("every channel reopened", written, StringComparison.Ordinal);
        }
        finally
        {
            Log.Output = original;
        }
    }
}
