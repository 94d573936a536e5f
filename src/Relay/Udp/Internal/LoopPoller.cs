namespace FastSpinnRelay.Relay.Udp.Internal;

/// <summary>A socket the poller found ready. <see cref="Token"/> is what the loop passed to <see cref="LoopPoller.Add"/>.</summary>
internal readonly record struct ReadyEvent(long Token, bool Readable, bool Writable);

/// <summary>
/// Readiness for a <see cref="UdpEventLoop"/>: epoll on Linux, Socket.Select elsewhere. Everything but
/// <see cref="Wake"/> is called on the loop thread only; <see cref="Wake"/> is any-thread, but the loop
/// guarantees it is never called concurrently with or after <see cref="Dispose"/>.
/// </summary>
internal abstract class LoopPoller : IDisposable
{
    /// <summary>Watches <paramref name="socket"/> for readability (errors count as readable). Returns 0 or an error code.</summary>
    public abstract int Add(UdpSocket socket, long token);

    /// <summary>Stops watching <paramref name="socket"/>; a socket already closed needs nothing.</summary>
    public abstract void Remove(UdpSocket socket);

    /// <summary>Adds or drops interest in writability (used while a flush waits for send-buffer room).</summary>
    public abstract void SetWriteInterest(UdpSocket socket, long token, bool wanted);

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> (-1: no limit) and fills <paramref name="events"/>. Wake-ups are
    /// consumed here and reported through <paramref name="woken"/>. Returns the event count, or -1 with
    /// <paramref name="errorCode"/> set.
    /// </summary>
    public abstract int Wait(int timeoutMs, ReadyEvent[] events, out bool woken, out int errorCode);

    /// <summary>Makes a current or the next <see cref="Wait"/> return.</summary>
    public abstract void Wake();

    public abstract void Dispose();
}
