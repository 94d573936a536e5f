namespace FastSpinnRelay.Relay.Udp;

/// <summary>Handles datagrams read from a socket registered with a <see cref="UdpEventLoop"/>.</summary>
/// <remarks>
/// Threading: always called on the loop thread, one call at a time. Forward by queueing sends
/// (<see cref="UdpSocket.QueueSendTo"/>) on sockets registered with the same loop: the loop flushes them with
/// one sendmmsg each after this iteration's callbacks. Do not block, and do not keep the batch or spans
/// over it after returning.
/// </remarks>
public interface IUdpReceiver
{
    /// <param name="socket">The socket the datagrams arrived on.</param>
    /// <param name="batch">1 to <see cref="DatagramBatch.Capacity"/> datagrams; valid only during this call.</param>
    void OnDatagrams(UdpSocket socket, DatagramBatch batch);
}

/// <summary>Work run on a loop thread through <see cref="UdpEventLoop.Post"/>; reuse one instance to post without allocating.</summary>
public interface IUdpLoopWork
{
    void Execute(UdpEventLoop loop);
}

/// <summary>Periodic callback on the loop thread (e.g. expiring idle flows), added with <see cref="UdpEventLoop.AddTickHandler"/>.</summary>
public interface IUdpTickHandler
{
    /// <param name="loop">The loop calling.</param>
    /// <param name="timestamp">Now, in <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> ticks.</param>
    void OnTick(UdpEventLoop loop, long timestamp);
}
