using System.Net.Sockets;
using System.Text;
using FastSpinnRelay.Relay.Diagnostics;

namespace FastSpinnRelay.Relay.Tests.Diagnostics;

/// <summary>sd_notify's wire: one datagram of text to the unix socket NOTIFY_SOCKET names; nothing without one.</summary>
public sealed class SystemdNotifyTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("relay-notify-").FullName;

    [Fact]
    public void Ready_reaches_a_socket_named_by_path()
    {
        var path = Path.Combine(_directory, "notify");
        using var manager = Listen(new UnixDomainSocketEndPoint(path));

        Assert.True(SystemdNotify.Send(path, "READY=1"));

        Assert.Equal("READY=1", Receive(manager));
    }

    [Fact]
    public void A_name_with_an_at_sign_is_in_the_abstract_namespace()
    {
        var name = $"relay-notify-test-{Guid.NewGuid():N}";
        using var manager = Listen(new UnixDomainSocketEndPoint("\0" + name));

        Assert.True(SystemdNotify.Send("@" + name, "STOPPING=1"));

        Assert.Equal("STOPPING=1", Receive(manager));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("relative/notify")]             // neither a path nor an abstract name: ignored, as sd_notify does
    [InlineData("/nonexistent/relay/notify")]   // no manager listening: nothing happens, nothing thrown
    public void Without_a_usable_socket_nothing_is_sent_and_nothing_fails(string? notifySocket)
    {
        Assert.False(SystemdNotify.Send(notifySocket, "READY=1"));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static Socket Listen(UnixDomainSocketEndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(endPoint);
        socket.ReceiveTimeout = (int)TestSupport.Loopback.Limit.TotalMilliseconds;
        return socket;
    }

    private static string Receive(Socket socket)
    {
        var buffer = new byte[256];
        var length = socket.Receive(buffer);
        return Encoding.ASCII.GetString(buffer, 0, length);
    }
}
