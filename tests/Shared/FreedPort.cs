namespace FastSpinnRelay.Tests.Shared;

/// <summary>
/// A port a test frees and then binds again: a relay restarted on the address its peers know. Between the two, the
/// suite's other tests bind port 0 in parallel and the kernel may hand one of them the freed port (seen in CI as
/// "Address already in use"). Nothing in the product can keep a port across a restart, so the race cannot be designed
/// away; instead it is told apart from a real failure. A rebind that fails while a socket that was not ours holds the
/// port throws <see cref="PortTakenByAnotherException"/>, and <see cref="RetryAsync"/> runs the whole scenario again on
/// fresh port-0 binds, a bounded number of times. Any other failure (another error, or "in use" with no stranger on the
/// port) fails the test as before.
/// </summary>
internal sealed class FreedPort
{
    private readonly string[] _tables;
    private readonly HashSet<long> _ours;

    private FreedPort(int port, string[] tables, string protocol)
    {
        Port = port;
        Protocol = protocol;
        _tables = tables;
        _ours = PortHolders.Of(port, tables);
        Assert.True(_ours.Count > 0, $"nothing of ours holds {protocol} port {port}: take the FreedPort while it is bound");
    }

    public int Port { get; }

    public string Protocol { get; }

    /// <summary>Notes which sockets hold UDP <paramref name="port"/> now (ours): call before freeing it.</summary>
    public static FreedPort Udp(int port) => new(port, PortHolders.Udp, "UDP");

    /// <summary>Notes which sockets hold TCP <paramref name="port"/> now (ours: the listener and its connections).</summary>
    public static FreedPort Tcp(int port) => new(port, PortHolders.Tcp, "TCP");

    /// <summary>Runs <paramref name="scenario"/> again (at most <paramref name="attempts"/> in all) only while it ends in <see cref="PortTakenByAnotherException"/>.</summary>
    public static async Task RetryAsync(Func<Task> scenario, int attempts = 3)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await scenario();
                return;
            }
            catch (PortTakenByAnotherException) when (attempt < attempts)
            {
                // Provably another socket's bind, not the product: the next attempt starts from fresh port-0 binds.
            }
        }
    }

    /// <summary>Sockets holding the port now that did not hold it when this was taken: not ours.</summary>
    public HashSet<long> Strangers()
    {
        var now = PortHolders.Of(Port, _tables);
        now.ExceptWith(_ours);
        return now;
    }

    /// <summary>
    /// Binds the port again through <paramref name="bind"/>; an "address in use" failure while a stranger holds the
    /// port becomes <see cref="PortTakenByAnotherException"/>.
    /// </summary>
    public async Task<T> RebindAsync<T>(Func<Task<T>> bind)
    {
        try
        {
            return await bind();
        }
        catch (Exception e) when (e is not PortTakenByAnotherException && IsAddressInUse(e) && Strangers() is { Count: > 0 } strangers)
        {
            throw new PortTakenByAnotherException(this, strangers, e);
        }
    }

    /// <summary>
    /// For a wait that needs the port to stay free (an ICMP "port unreachable" from it): a wait that failed while a
    /// stranger holds the port throws <see cref="PortTakenByAnotherException"/>; otherwise returns <paramref name="waited"/>.
    /// </summary>
    public bool WhileFree(bool waited) => waited || Strangers() is not { Count: > 0 } strangers
        ? waited
        : throw new PortTakenByAnotherException(this, strangers, null);

    /// <summary>EADDRINUSE, thrown as is or wrapped (the relay's own errors keep only the socket error's text).</summary>
    private static bool IsAddressInUse(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse }
                || e.Message.Contains("Address already in use", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>A freed port was bound by a socket that is not the test's before the test could bind it again.</summary>
internal sealed class PortTakenByAnotherException(FreedPort port, HashSet<long> strangers, Exception? failure)
    : Exception($"{port.Protocol} port {port.Port} was taken by socket inode(s) {string.Join(", ", strangers)} while freed", failure);
