using FastSpinnRelay.Protocol.Tunnel;

namespace FastSpinnRelay.Tunnel;

/// <summary>
/// Receives what arrives on one channel. Called on the session's receive loop, one call at a time per session: do
/// not block (copy or queue the datagram; it is valid only during the call). An exception is caught, counted and
/// logged, and the tunnel carries on.
/// </summary>
public interface ITunnelChannelHandler
{
    /// <summary>
    /// A datagram arrived. <paramref name="gapMicroseconds"/> is, for reliable channels, the time between this
    /// datagram and the previous one on this channel at the sender (0 for the latest class), so a boot can be re-paced.
    /// </summary>
    void OnDatagram(TunnelChannel channel, ReadOnlySpan<byte> datagram, uint gapMicroseconds);

    /// <summary>
    /// The channel was closed by the peer (<paramref name="code"/> from its CLOSE), refused
    /// (<see cref="TunnelErrorCode.ChannelRejected"/>), or lost with the session (<see cref="TunnelErrorCode.SessionLost"/>).
    /// Not called for a local <see cref="TunnelChannel.Close"/>.
    /// </summary>
    void OnClosed(TunnelChannel channel, TunnelErrorCode code);
}

/// <summary>
/// A handler that also wants to know when a run of datagrams for its channel has been delivered, so what it queued
/// (e.g. for one sendmmsg) can leave at once: a run of hundreds of spike packets or SCP requests then costs a few
/// syscalls, not hundreds. Called on the same loop and under the same rules as
/// <see cref="ITunnelChannelHandler.OnDatagram"/>. Latest class: after the batch's last datagram for the channel (when
/// the batch moves on to another channel, and at the batch's end). Reliable class: after the last datagram of one
/// read from the transport (or sooner, when a datagram for another channel comes next), so a lone datagram is not
/// held back.
/// </summary>
public interface ITunnelBatchHandler : ITunnelChannelHandler
{
    /// <summary>The datagrams of the current batch for <paramref name="channel"/> have all been delivered.</summary>
    void OnBatchEnd(TunnelChannel channel);
}

/// <summary>
/// A batch handler that takes each run of a BATCH frame's datagrams for its channel in one call instead of one call
/// per datagram (the receive loop's cost per datagram is then a record read and the handler's own work).
/// <see cref="ITunnelChannelHandler.OnDatagram"/> still serves reliable channels; <see cref="ITunnelBatchHandler.OnBatchEnd"/>
/// follows each run as before.
/// </summary>
public interface ITunnelRunHandler : ITunnelBatchHandler
{
    /// <summary>
    /// A run of latest-class datagrams arrived: read them all with <see cref="TunnelDatagramRun.TryNext"/> (those left
    /// unread are dropped). Same rules as <see cref="ITunnelChannelHandler.OnDatagram"/>: do not block, copy or queue.
    /// </summary>
    void OnDatagrams(TunnelChannel channel, ref TunnelDatagramRun run);
}

/// <summary>
/// A producer that stops reading its source while the tunnel cannot take more, so the excess is dropped (by the kernel,
/// at the source's socket) before it is received rather than after. Latest class: while the session's latest queue
/// overflows (<see cref="TunnelChannel.TryWaitForLatestRoom"/>). Reliable class: while the replay buffer is full
/// (<see cref="TunnelChannel.TryWaitForReplayRoom"/>). <see cref="OnRoom"/> says when to read again.
/// </summary>
public interface ITunnelRoomHandler : ITunnelChannelHandler
{
    /// <summary>
    /// There is room again: latest class, the send loop drained the queue to half, or the connection ended (no send
    /// loop drains it now, so dropping the oldest is the freshest choice again); reliable class, acknowledgements freed
    /// a quarter of the replay buffer, or the channel was lost. Called once per successful wait, under the session's
    /// lock: set a flag or post work; never call back into the session.
    /// </summary>
    void OnRoom(TunnelChannel channel);
}

/// <summary>
/// Decides on channels the peer opens. Called on the receive loop; the channel's kind and target are set. Return the
/// handler for its traffic to accept it, or null to refuse it (the peer gets CLOSE with ChannelRejected). This is where
/// a server enforces which boards and ports a client may reach.
/// </summary>
public interface ITunnelChannelAcceptor
{
    ITunnelChannelHandler? OnChannelOpening(TunnelChannel channel);
}

/// <summary>What <see cref="TunnelChannel.TrySend"/> did.</summary>
public enum TunnelSendStatus
{
    /// <summary>Queued (reliable: kept until acknowledged; latest: possibly after dropping older datagrams).</summary>
    Sent = 0,

    /// <summary>Reliable only: the replay buffer is full. Wait with <see cref="TunnelChannel.WaitForSpaceAsync"/> and retry.</summary>
    Full,

    /// <summary>The channel or its session is closed; nothing was queued.</summary>
    Closed,

    /// <summary>The datagram is larger than a frame may carry (65,507 bytes, or the configured maximum).</summary>
    TooLarge,
}

/// <summary>How a channel's datagrams are delivered (docs/tunnel-protocol.md §6).</summary>
public enum TunnelDeliveryClass
{
    /// <summary>In order, exactly once, across reconnects; back-pressure when the replay buffer is full.</summary>
    Reliable,

    /// <summary>In order, may lose: batched, optionally compressed, oldest dropped under pressure.</summary>
    Latest,
}
