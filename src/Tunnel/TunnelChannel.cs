using FastSpinnRelay.Protocol.Tunnel;

namespace FastSpinnRelay.Tunnel;

/// <summary>
/// One SpiNNaker flow through the tunnel (an application's SCP, a boot, an EIEIO stream). Open one with
/// <see cref="TunnelSession.OpenChannel"/>; the peer's channels arrive through <see cref="ITunnelChannelAcceptor"/>.
/// Sending is thread-safe and allocation-free; the datagram is copied before <see cref="TrySend"/> returns.
/// </summary>
public sealed class TunnelChannel
{
    private readonly TunnelSession _session;
    private long _sent;
    private long _received;
    private long _dropped;

    internal TunnelChannel(TunnelSession session, ushort id, TunnelChannelKind kind, TunnelTarget target, bool openedLocally)
    {
        _session = session;
        Id = id;
        Kind = kind;
        Target = target;
        OpenedLocally = openedLocally;
        Delivery = kind is TunnelChannelKind.Scp or TunnelChannelKind.Boot ? TunnelDeliveryClass.Reliable : TunnelDeliveryClass.Latest;
    }

    /// <summary>The channel id on the wire (even: opened by the client, odd: by the server).</summary>
    public ushort Id { get; }

    /// <summary>What the channel carries.</summary>
    public TunnelChannelKind Kind { get; }

    /// <summary>Reliable for SCP and boot, latest for EIEIO.</summary>
    public TunnelDeliveryClass Delivery { get; }

    /// <summary>What the channel is for on the side that did not open it.</summary>
    public TunnelTarget Target { get; }

    /// <summary>True when this side opened it.</summary>
    public bool OpenedLocally { get; }

    /// <summary>The session the channel belongs to.</summary>
    public TunnelSession Session => _session;

    /// <summary>False once closed by either side or lost with the session.</summary>
    public bool IsOpen { get; internal set; } = true;

    /// <summary>Datagrams queued for sending.</summary>
    public long DatagramsSent => Volatile.Read(ref _sent);

    /// <summary>Datagrams delivered to the handler.</summary>
    public long DatagramsReceived => Volatile.Read(ref _received);

    /// <summary>Latest class: datagrams of this channel dropped from the send queue under pressure.</summary>
    public long DatagramsDropped => Volatile.Read(ref _dropped);

    /// <summary>Who gets this channel's datagrams.</summary>
    internal ITunnelChannelHandler? Handler { get; set; }

    /// <summary>Stopwatch timestamp of the previous reliable send (for DATA's gap).</summary>
    internal long LastSendTimestamp { get; set; }

    /// <summary>
    /// Queues one datagram and wakes the send loop. Reliable: <see cref="TunnelSendStatus.Full"/> when the replay
    /// buffer has no room (nothing is ever dropped; wait and retry). Latest: always queued, dropping the oldest queued
    /// datagrams if needed.
    /// </summary>
    public TunnelSendStatus TrySend(ReadOnlySpan<byte> datagram) => Queue(datagram, wake: true);

    /// <summary>
    /// Queues one datagram as <see cref="TrySend"/> does, without waking the send loop: for a caller queueing the
    /// datagrams of one receive, which then calls <see cref="WakeSender"/> once for all of them.
    /// </summary>
    public TunnelSendStatus TrySendLater(ReadOnlySpan<byte> datagram) => Queue(datagram, wake: false);

    /// <summary>
    /// Wakes the send loop for the <paramref name="queued"/> datagrams <see cref="TrySendLater"/> queued. Call it with no
    /// lock held: when they were few and the loop is idle, the loop writes them out on the calling thread before this
    /// returns, sparing a thread-pool wake-up.
    /// </summary>
    public void WakeSender(int queued) => _session.WakeSender(queued);

    /// <summary>
    /// Queues every datagram <paramref name="source"/> yields, as <see cref="TrySendLater"/> would one by one (a
    /// latest-class channel takes the whole run under one lock), then wakes the send loop once as
    /// <see cref="WakeSender"/> does. A datagram that cannot be taken (too large; reliable: replay buffer full; the
    /// channel closed) is skipped, so the caller counts what was offered minus what this returns as dropped.
    /// </summary>
    /// <returns>How many datagrams were queued.</returns>
    public int TrySendAll<TSource>(ref TSource source)
        where TSource : struct, ITunnelDatagramSource
    {
        var sent = 0;
        if (Delivery == TunnelDeliveryClass.Reliable)
        {
            while (source.TryNext(out ReadOnlySpan<byte> datagram))
            {
                sent += _session.TrySendReliable(this, datagram, wake: false) == TunnelSendStatus.Sent ? 1 : 0;
            }
        }
        else
        {
            sent = _session.TrySendLatestAll(this, ref source);
        }

        if (sent != 0)
        {
            Interlocked.Add(ref _sent, sent);
            _session.WakeSender(sent);
        }

        return sent;
    }

    private TunnelSendStatus Queue(ReadOnlySpan<byte> datagram, bool wake)
    {
        TunnelSendStatus status = Delivery == TunnelDeliveryClass.Reliable
            ? _session.TrySendReliable(this, datagram, wake)
            : _session.TrySendLatest(this, datagram, wake);
        if (status == TunnelSendStatus.Sent)
        {
            Interlocked.Increment(ref _sent);
        }

        return status;
    }

    /// <summary>
    /// Latest class, for a handler that is an <see cref="ITunnelRoomHandler"/>: true when the session's latest queue
    /// has dropped datagrams since it last had room and a connection is draining it; the handler then hears
    /// <see cref="ITunnelRoomHandler.OnRoom"/> once, when there is room again. False (nothing to wait for) otherwise.
    /// Cheap when the queue has not overflowed (no lock).
    /// </summary>
    public bool TryWaitForLatestRoom() => _session.TryWaitForLatestRoom(this);

    /// <summary>
    /// Reliable class: after <see cref="TrySend"/> said <see cref="TunnelSendStatus.Full"/>, a handler that is an
    /// <see cref="ITunnelRoomHandler"/> asks to hear <see cref="ITunnelRoomHandler.OnRoom"/> once, when a quarter of the
    /// replay buffer is free again. True when it will be called; false (retry now) when there is room already or the
    /// channel cannot wait.
    /// </summary>
    public bool TryWaitForReplayRoom() => _session.TryWaitForReplayRoom(this);

    /// <summary>
    /// Latest class: a hint (no lock) that the session's latest queue has dropped datagrams since it last had room and
    /// a connection is draining it; a producer checks it before it pauses and confirms with <see cref="TryWaitForLatestRoom"/>.
    /// </summary>
    public bool LatestQueueOverflowed => _session.LatestQueueOverflowed;

    /// <summary>Set while this channel's handler waits for <see cref="ITunnelRoomHandler.OnRoom"/> (under the session's lock; either class).</summary>
    internal bool WaitingForRoom { get; set; }

    /// <summary>Completes when a reliable datagram of <paramref name="datagramLength"/> bytes would fit, or the channel closes.</summary>
    public ValueTask WaitForSpaceAsync(int datagramLength, CancellationToken cancellationToken = default) =>
        _session.WaitForSpaceAsync(TunnelFrameWriter.DataFrameLength(datagramLength), cancellationToken);

    /// <summary>Sends one datagram, waiting while the replay buffer is full. Returns how it ended (never <see cref="TunnelSendStatus.Full"/>).</summary>
    public async ValueTask<TunnelSendStatus> SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            TunnelSendStatus status = TrySend(datagram.Span);
            if (status != TunnelSendStatus.Full)
            {
                return status;
            }

            await WaitForSpaceAsync(datagram.Length, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Closes the channel (a reliable CLOSE, after everything sent before it). Datagrams that still arrive for it are dropped.</summary>
    public void Close(TunnelErrorCode code = TunnelErrorCode.None) => _session.CloseChannel(this, code);

    /// <summary>Counts a delivered datagram; called only by the session's receive loop (one writer: a plain store).</summary>
    internal void CountReceived(int datagrams = 1) => Volatile.Write(ref _received, _received + datagrams);

    internal void CountDropped(long datagrams) => Interlocked.Add(ref _dropped, datagrams);

    /// <inheritdoc/>
    public override string ToString() => $"channel {Id} ({Kind} to {Target})";
}
