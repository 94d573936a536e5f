using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Relay.Tunneling.Internal;

namespace FastSpinnRelay.Relay.Tests.Tunneling;

/// <summary>The "closed …" line of a board flow says who let it go: the client, the end of its session, or the server's stop.</summary>
public class BoardFlowCloseReasonTests
{
    [Theory]
    [InlineData(TunnelErrorCode.None, false, "closed by the client (None)")]
    [InlineData(TunnelErrorCode.ProtocolViolation, false, "closed by the client (ProtocolViolation)")]
    [InlineData(TunnelErrorCode.Shutdown, true, "server shutting down")]
    [InlineData(TunnelErrorCode.SessionLost, true, "its session ended")] // expired, revoked, or the client shut down
    [InlineData(TunnelErrorCode.SessionLost, false, "its session ended")] // the client came back without the session's state
    public void The_reason_names_who_closed_the_channel(TunnelErrorCode code, bool sessionClosed, string expected) =>
        Assert.Equal(expected, BoardFlow.WhyClosed(code, sessionClosed));
}
