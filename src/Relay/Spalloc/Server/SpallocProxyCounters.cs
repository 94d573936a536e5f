namespace FastSpinnRelay.Relay.Spalloc.Server;

/// <summary>What a server's proxy has done, totalled over all websockets. Readable from any thread.</summary>
public sealed class SpallocProxyCounters
{
    private long _webSocketsAccepted;
    private long _webSocketsClosed;
    private long _channelsOpened;
    private long _channelsClosed;
    private long _datagramsToBoards;
    private long _datagramsFromBoards;
    private long _liveFramesDropped;
    private long _repliesDropped;
    private long _strangerDatagrams;
    private long _truncatedDatagrams;
    private long _unroutableMessages;
    private long _sendFailures;
    private long _protocolViolations;
    private long _stalledClients;

    public long WebSocketsAccepted => Interlocked.Read(ref _webSocketsAccepted);

    public long WebSocketsClosed => Interlocked.Read(ref _webSocketsClosed);

    public long ChannelsOpened => Interlocked.Read(ref _channelsOpened);

    public long ChannelsClosed => Interlocked.Read(ref _channelsClosed);

    /// <summary>Channels open now (each holds one UDP socket).</summary>
    public long OpenChannels => ChannelsOpened - ChannelsClosed;

    /// <summary>MSG / MSG_TO payloads sent to boards.</summary>
    public long DatagramsToBoards => Interlocked.Read(ref _datagramsToBoards);

    /// <summary>Board datagrams queued as MSG frames.</summary>
    public long DatagramsFromBoards => Interlocked.Read(ref _datagramsFromBoards);

    /// <summary>Live-output frames (not SDP) dropped because a websocket's send queue was full.</summary>
    public long LiveFramesDropped => Interlocked.Read(ref _liveFramesDropped);

    /// <summary>Frames that are normally kept (SDP, replies) dropped because the queue held nothing else to drop.</summary>
    public long RepliesDropped => Interlocked.Read(ref _repliesDropped);

    /// <summary>Datagrams on unbound channels from hosts that are not boards of the job, dropped.</summary>
    public long StrangerDatagrams => Interlocked.Read(ref _strangerDatagrams);

    /// <summary>Datagrams longer than a receive slot, dropped.</summary>
    public long TruncatedDatagrams => Interlocked.Read(ref _truncatedDatagrams);

    /// <summary>MSG on an unknown, closed or unbound channel, or MSG_TO on an unknown channel: dropped, as the reference server does.</summary>
    public long UnroutableMessages => Interlocked.Read(ref _unroutableMessages);

    /// <summary>Datagrams to boards the operating system refused (or a full socket buffer dropped).</summary>
    public long SendFailures => Interlocked.Read(ref _sendFailures);

    /// <summary>Websockets closed for breaking the protocol (status 1003 or 1009).</summary>
    public long ProtocolViolations => Interlocked.Read(ref _protocolViolations);

    /// <summary>Websockets closed because the client stopped reading.</summary>
    public long StalledClients => Interlocked.Read(ref _stalledClients);

    public override string ToString() =>
        $"websockets {WebSocketsAccepted} accepted/{WebSocketsClosed} closed, channels {OpenChannels} open ({ChannelsOpened} opened), " +
        $"datagrams {DatagramsToBoards} to boards/{DatagramsFromBoards} from boards, dropped: {LiveFramesDropped} live frames, " +
        $"{RepliesDropped} replies, {StrangerDatagrams} from strangers, {TruncatedDatagrams} truncated, {UnroutableMessages} unroutable, " +
        $"{SendFailures} send failures; {ProtocolViolations} protocol violations, {StalledClients} stalled clients";

    internal void WebSocketAccepted() => Interlocked.Increment(ref _webSocketsAccepted);

    internal void WebSocketClosed() => Interlocked.Increment(ref _webSocketsClosed);

    internal void ChannelOpened() => Interlocked.Increment(ref _channelsOpened);

    internal void ChannelClosed() => Interlocked.Increment(ref _channelsClosed);

    internal void ToBoards(long count) => Interlocked.Add(ref _datagramsToBoards, count);

    internal void FromBoards(long count) => Interlocked.Add(ref _datagramsFromBoards, count);

    internal void LiveDropped(long count) => Interlocked.Add(ref _liveFramesDropped, count);

    internal void ReplyDropped() => Interlocked.Increment(ref _repliesDropped);

    internal void Strangers(long count) => Interlocked.Add(ref _strangerDatagrams, count);

    internal void Truncated(long count) => Interlocked.Add(ref _truncatedDatagrams, count);

    internal void Unroutable() => Interlocked.Increment(ref _unroutableMessages);

    internal void SendsFailed(long count) => Interlocked.Add(ref _sendFailures, count);

    internal void ProtocolViolation() => Interlocked.Increment(ref _protocolViolations);

    internal void Stalled() => Interlocked.Increment(ref _stalledClients);
}
