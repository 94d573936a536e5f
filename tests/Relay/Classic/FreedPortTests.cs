using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Tests.Shared;

namespace FastSpinnRelay.Relay.Tests.Classic;

/// <summary>
/// The restart tests' guard against a parallel test taking a freed port: retried only when the failure is "in use" and
/// a socket that was not ours holds the port. The stranger here shares the port through SO_REUSEADDR while ours still
/// holds it, so nothing depends on winning a race.
/// </summary>
public sealed class FreedPortTests
{
    [Fact]
    public async Task A_rebind_refused_because_a_stranger_holds_the_port_is_told_apart()
    {
        var ours = Udp(reuse: true);
        var freed = FreedPort.Udp(Port(ours));
        using var stranger = Udp(reuse: true, Port(ours));
        ours.Dispose();

        var taken = await Assert.ThrowsAsync<PortTakenByAnotherException>(() => freed.RebindAsync(() => Task.FromResult(Udp(reuse: false, freed.Port))));

        Assert.IsType<SocketException>(taken.InnerException);
        Assert.Single(freed.Strangers());
        Assert.Throws<PortTakenByAnotherException>(() => freed.WhileFree(false));
        Assert.True(freed.WhileFree(true));
    }

    [Fact]
    public async Task A_rebind_refused_while_our_own_socket_still_holds_the_port_fails_as_it_is()
    {
        using var ours = Udp(reuse: false);
        var freed = FreedPort.Udp(Port(ours));

        var error = await Assert.ThrowsAsync<SocketException>(() => freed.RebindAsync(() => Task.FromResult(Udp(reuse: false, freed.Port))));

        Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
        Assert.Empty(freed.Strangers());
        Assert.False(freed.WhileFree(false));
    }

    [Fact]
    public async Task The_scenario_runs_again_only_while_the_port_was_taken_and_at_most_three_times()
    {
        var runs = 0;
        await FreedPort.RetryAsync(() => ++runs < 3 ? throw Taken() : Task.CompletedTask);
        Assert.Equal(3, runs);

        runs = 0;
        await Assert.ThrowsAsync<PortTakenByAnotherException>(() => FreedPort.RetryAsync(() => { runs++; throw Taken(); }));
        Assert.Equal(3, runs);

        runs = 0;
        await Assert.ThrowsAsync<InvalidOperationException>(() => FreedPort.RetryAsync(() => { runs++; throw new InvalidOperationException(); }));
        Assert.Equal(1, runs);
    }

    private static PortTakenByAnotherException Taken()
    {
        using var socket = Udp(reuse: false);
        return new PortTakenByAnotherException(FreedPort.Udp(Port(socket)), [1], null);
    }

    private static Socket Udp(bool reuse, int port = 0)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, reuse);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static int Port(Socket socket) => ((IPEndPoint)socket.LocalEndPoint!).Port;
}
