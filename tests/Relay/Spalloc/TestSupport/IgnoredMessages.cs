using FastSpinnRelay.Relay.Spalloc.Client;

namespace FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;

/// <summary>A proxy websocket's handler for tests that only open channels: board datagrams are dropped.</summary>
internal sealed class IgnoredMessages : ISpallocProxyHandler
{
    public void OnMessage(uint channel, ReadOnlySpan<byte> payload)
    {
    }
}
