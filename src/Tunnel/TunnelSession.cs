using System.Net;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel.Internal;

namespace FastSpinnRelay.Tunnel;

/// <summary>
/// The state of one tunnel that outlives its connections: the channels, both reliable sequence counters, the replay
/// buffer and the latest-class queue (docs/tunnel-protocol.md §4). A client has one session for its lifetime; a server
/// has one per client. Channels can be opened and used while no connection carries the session: reliable frames wait
/// in the replay buffer, EIEIO datagrams in the bounded queue.
/// </summary>
/// <remarks>
/// Thread-safety: <see cref="OpenChannel"/>, <see cref="TunnelChannel.TrySend"/>, <see cref="TunnelChannel.Close"/>
/// and the getters may be called from any thread. Handlers are called on the receive loop, one at a time.
/// </remarks>
public sealed partial class TunnelSession
{
    private readonly Lock _gate = new();
    private readonly TunnelOptions _options;
    private readonly ITunnelChannelAcceptor? _acceptor;
    private readonly ReplayBuffer _replay;
    private readonly LatestQueue _latest;
    private readonly Dictionary<ushort, TunnelChannel> _channels = [];
    private readonly SessionCounters _counters = new();
    private readonly byte[] _id = new byte[TunnelAuth.SessionIdLength];
    private ushort _lastLocalId;
    private TaskCompletionSource? _spaceWaiter;
    private bool _closed;
    private int _lastCloseReason;

    /// <summary>Bytes of the replay buffer only protocol answers (CLOSE for a refused OPEN) and OPEN/CLOSE may use.</summary>
    private const int ReplayReserve = 64 * 1024;

    internal TunnelSession(TunnelOptions options, bool isClient, ITunnelChannelAcceptor? acceptor)
    {
        _options = options;
        IsClient = isClient;
        _acceptor = acceptor;
        _replay = new ReplayBuffer(options.ReplayBufferBytes, ReplayReserve);
        _latest = new LatestQueue(options.LatestQueueBytes);
        _lastLocalId = isClient ? (ushort)0 : ushort.MaxValue;
        DetachedTimestamp = options.TimeProvider.GetTimestamp();
    }

    /// <summary>The 16-byte session id the server chose (zeros on a client before its first handshake).</summary>
    public ReadOnlySpan<byte> Id => _id;

    /// <summary>The session id as 32 hex digits, for logs.</summary>
    public string IdText => Convert.ToHexStringLower(_id);

    /// <summary>True on the client end (opens even channel ids).</summary>
    public bool IsClient { get; }

    /// <summary>True while a connection carries the session.</summary>
    public bool IsConnected => Volatile.Read(ref _current) is not null;

    /// <summary>True once the session is gone (server expiry, client disposal); sends return Closed.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_gate)
            {
                return _closed;
            }
        }
    }

    /// <summary>Why the last connection that carried this session ended.</summary>
    public TunnelCloseReason LastCloseReason => (TunnelCloseReason)Volatile.Read(ref _lastCloseReason);

    /// <summary>Channels open now.</summary>
    public int OpenChannelCount
    {
        get
        {
            lock (_gate)
            {
                return _channels.Count;
            }
        }
    }

    /// <summary>Bytes of reliable frames not yet acknowledged by the peer.</summary>
    public int UnacknowledgedBytes
    {
        get
        {
            lock (_gate)
            {
                return _replay.UsedBytes;
            }
        }
    }

    /// <summary>A snapshot of the counters.</summary>
    public TunnelSessionCounters GetCounters() => _counters.Snapshot();

    /// <summary>Adds bytes of whole frames read from the connection (the receive loop, once per read).</summary>
    internal void CountBytesReceived(long bytes) => Interlocked.Add(ref _counters.BytesReceived, bytes);

    /// <summary>
    /// Opens a channel of <paramref name="kind"/> towards <paramref name="target"/> on the peer's side; its traffic from
    /// the peer goes to <paramref name="handler"/>. The OPEN is a reliable frame: datagrams may be sent at once.
    /// </summary>
    /// <exception cref="InvalidOperationException">The session is closed, or holds <see cref="TunnelOptions.MaxChannels"/> channels.</exception>
    public TunnelChannel OpenChannel(TunnelChannelKind kind, TunnelTarget target, ITunnelChannelHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Span<byte> address = stackalloc byte[16];
        int addressLength = 0;
        if (target.Address is not null && !target.Address.TryWriteBytes(address, out addressLength))
        {
            throw new ArgumentException("The target address could not be written.", nameof(target));
        }

        TunnelChannel channel;
        lock (_gate)
        {
            if (_closed)
            {
                throw new InvalidOperationException("The tunnel session is closed.");
            }

            if (_channels.Count >= _options.MaxChannels)
            {
                throw new InvalidOperationException($"The tunnel session already holds MaxChannels ({_options.MaxChannels}) channels.");
            }

            ushort id = AllocateLocalId();
            int length = TunnelOpenFrame.MinLength + addressLength;
            if (!_replay.TryAppend(length, useReserve: true, out Span<byte> frame, out ulong sequence))
            {
                throw new InvalidOperationException("The tunnel's replay buffer is full; wait for the peer to acknowledge.");
            }

            TunnelFrameWriter.TryWriteOpen(frame, id, sequence, kind, target.Port, address[..addressLength], out _);
            channel = new TunnelChannel(this, id, kind, target, openedLocally: true) { Handler = handler };
            _channels.Add(id, channel);
        }

        Interlocked.Increment(ref _counters.ReliableFramesQueued);
        Signal.Set();
        return channel;
    }

    /// <summary>Cuts the connection carrying the session now, if any (the session stays resumable).</summary>
    public void AbortConnection() => Volatile.Read(ref _current)?.Abort(TunnelCloseReason.Aborted, TunnelErrorCode.None);

    /// <inheritdoc/>
    public override string ToString() => $"session {IdText[..8]}";

    private ushort AllocateLocalId()
    {
        // Even ids for the client, odd for the server; not reused until the 16-bit space wraps around.
        for (int tries = 0; tries < 32_768; tries++)
        {
            _lastLocalId = (ushort)(_lastLocalId + 2);
            if (_lastLocalId != 0 && !_channels.ContainsKey(_lastLocalId))
            {
                return _lastLocalId;
            }
        }

        throw new InvalidOperationException("No free channel id.");
    }

    private static TunnelTarget TargetOf(in TunnelOpenFrame open) =>
        new(open.AddressFamily == 0 ? null : new IPAddress(open.Address), open.Port);
}
