using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using FastSpinnRelay.Protocol.Spalloc;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

internal sealed partial class ProxySession
{
    // Receive-loop thread only.
    private readonly byte[] _reply = new byte[SpallocFrameWriter.MaxErrorTextLength + 64];

    /// <summary>Datagrams for the boards, gathered while more frames are already received (one sendmmsg for them all).</summary>
    private readonly GatheredSends _sends = new();
    private long _countedSent;
    private long _countedFailed;
    private byte[]? _reportedAddress;

    private enum OutcomeKind : byte
    {
        Continue,
        ClientClosed,
        Violation,
        ConnectionLost,
    }

    /// <summary>Reads whole messages (at most <see cref="SpallocServerOptions.MaxClientMessageBytes"/>) and handles each as one frame.</summary>
    private async Task<Outcome> ReceiveLoopAsync()
    {
        const int max = SpallocServerOptions.MaxClientMessageBytes;
        var buffer = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            while (true)
            {
                var filled = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (filled == max)
                    {
                        return Outcome.Violation(WebSocketCloseStatus.MessageTooBig, $"message longer than {max} bytes");
                    }

                    var receive = _ws.ReceiveAsync(buffer.AsMemory(filled, max - filled), _abort.Token);
                    if (!receive.IsCompleted)
                    {
                        // Nothing more is waiting: the datagrams gathered so far go now, not with the next frame.
                        FlushSends();
                    }

                    result = await receive.ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return new Outcome(OutcomeKind.ClientClosed);
                    }

                    filled += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType != WebSocketMessageType.Binary)
                {
                    return Outcome.Violation(WebSocketCloseStatus.InvalidMessageType, "text messages are not part of the proxy protocol");
                }

                var outcome = HandleFrame(buffer.AsSpan(0, filled));
                if (outcome.Kind != OutcomeKind.Continue)
                {
                    return outcome;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            if (Reason == ProxyShutdownReason.None)
            {
                Log.Debug(ProxyHub.Component, $"{_name}: receive ended: {ex.GetType().Name}: {ex.Message}");
            }

            return new Outcome(OutcomeKind.ConnectionLost);
        }
        finally
        {
            FlushSends(); // what the client sent before the end still goes to the boards
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Sends the gathered datagrams and counts them (sent, or failed: full buffer, ICMP error, closed channel).</summary>
    private void FlushSends()
    {
        _sends.Flush();
        if (_sends.Sent != _countedSent)
        {
            _counters.ToBoards(_sends.Sent - _countedSent);
            _countedSent = _sends.Sent;
        }

        if (_sends.Failed != _countedFailed)
        {
            _counters.SendsFailed(_sends.Failed - _countedFailed);
            _countedFailed = _sends.Failed;
        }
    }

    /// <summary>One client frame: the reference server's checks and actions (protocols.md §7.3).</summary>
    private Outcome HandleFrame(ReadOnlySpan<byte> frame)
    {
        var error = SpallocClientFrame.TryRead(frame, out var f);
        switch (error)
        {
            case SpallocFrameError.None:
                break;
            case SpallocFrameError.BadPort when f.Op == SpallocOp.Open:
                ReplyError(f.CorrelationId, "bad port number");
                return default;
            case SpallocFrameError.BadPort:
                return Outcome.Violation(WebSocketCloseStatus.InvalidMessageType, $"MSG_TO with bad port number {f.Port}");
            default:
                return Outcome.Violation(WebSocketCloseStatus.InvalidMessageType, Describe(error, frame));
        }

        if (f.Op is not (SpallocOp.Message or SpallocOp.MessageTo))
        {
            // Channel operations act on sockets (CLOSE disposes one): the datagrams received before them go first.
            FlushSends();
        }

        switch (f.Op)
        {
            case SpallocOp.Message:
                SendMessage(f.ChannelId, f.Payload);
                break;
            case SpallocOp.MessageTo:
                return SendMessageTo(f.ChannelId, f.ChipX, f.ChipY, f.Port, f.Payload);
            case SpallocOp.Open:
                Open(f.CorrelationId, f.ChipX, f.ChipY, f.Port);
                break;
            case SpallocOp.OpenUnbound:
                OpenUnbound(f.CorrelationId);
                break;
            case SpallocOp.Close:
                Close(f.CorrelationId, f.ChannelId);
                break;
        }

        return default;
    }

    private void SendMessage(uint channelId, ReadOnlySpan<byte> payload)
    {
        if (TryGetChannel(channelId) is { IsUnbound: false } channel)
        {
            _sends.Add(channel.Socket, payload, default);
        }
        else
        {
            _counters.Unroutable();
        }
    }

    private Outcome SendMessageTo(uint channelId, uint x, uint y, uint port, ReadOnlySpan<byte> payload)
    {
        var channel = TryGetChannel(channelId);
        if (channel is null)
        {
            _counters.Unroutable();
            return default;
        }

        if (!channel.IsUnbound)
        {
            return Outcome.Violation(WebSocketCloseStatus.InvalidMessageType, $"MSG_TO on channel {channelId}, which is connected to one board");
        }

        if (!Allocation.TryGetBoard(x, y, out var board))
        {
            return Outcome.Violation(WebSocketCloseStatus.InvalidMessageType, $"MSG_TO to ({x}, {y}), which is not an Ethernet chip of this job");
        }

        _sends.Add(channel.Socket, payload, new UdpAddress(board.Address, (int)port));
        return default;
    }

    private void Open(uint correlationId, uint x, uint y, uint port)
    {
        if (!Allocation.TryGetBoard(x, y, out var board))
        {
            ReplyError(correlationId, "unrecognised ethernet chip");
            return;
        }

        var id = _hub.NextChannelId();
        var socket = TryOpenSocket(correlationId, new IPEndPoint(IPAddress.Any, 0), new IPEndPoint(board.Address, (int)port), id);
        if (socket is null || !Register(correlationId, new ProxyChannel(id, this, socket, unbound: false, _counters)))
        {
            return;
        }

        SpallocFrameWriter.TryWriteOpenReply(_reply, correlationId, id, out var length);
        Reply(length);
    }

    private void OpenUnbound(uint correlationId)
    {
        var id = _hub.NextChannelId();
        var bind = _hub.Options.UnboundAddress is { } address ? new IPEndPoint(address, 0) : new IPEndPoint(IPAddress.Any, 0);
        var socket = TryOpenSocket(correlationId, bind, null, id);
        if (socket is null || !Register(correlationId, new ProxyChannel(id, this, socket, unbound: true, _counters)))
        {
            return;
        }

        _reportedAddress ??= _hub.ReportedAddress(Allocation).GetAddressBytes();
        SpallocFrameWriter.TryWriteOpenUnboundReply(_reply, correlationId, id, _reportedAddress, (uint)socket.LocalAddress.Port, out var length);
        Reply(length);
    }

    private void Close(uint correlationId, uint channelId)
    {
        ProxyChannel? channel;
        lock (_gate)
        {
            _channels.Remove(channelId, out channel);
        }

        if (channel is not null)
        {
            Release(channel);
        }

        SpallocFrameWriter.TryWriteCloseReply(_reply, correlationId, channel is null ? 0 : channelId, out var length);
        Reply(length);
    }

    private UdpSocket? TryOpenSocket(uint correlationId, IPEndPoint bind, IPEndPoint? remote, uint id)
    {
        if (ChannelCount >= _hub.Options.MaxChannelsPerWebSocket)
        {
            ReplyError(correlationId, $"too many channels open on this websocket (limit {_hub.Options.MaxChannelsPerWebSocket})");
            return null;
        }

        try
        {
            return new UdpSocket(bind, new UdpSocketOptions
            {
                RemoteEndPoint = remote,
                ReceiveBufferBytes = 1 << 20,
                SendBufferBytes = 1 << 20,
                Name = $"channel {id}",
            });
        }
        catch (SocketException ex)
        {
            ReplyError(correlationId, $"cannot open a socket: {ex.SocketErrorCode}");
            return null;
        }
    }

    private bool Register(uint correlationId, ProxyChannel channel)
    {
        lock (_gate)
        {
            if (Reason == ProxyShutdownReason.None)
            {
                _channels.Add(channel.Id, channel);
                _counters.ChannelOpened();
                if (_hub.Loop.Register(channel.Socket, channel))
                {
                    return true;
                }

                _channels.Remove(channel.Id);
                _counters.ChannelClosed();
            }
        }

        channel.Socket.Dispose();
        ReplyError(correlationId, "the server is closing this websocket");
        return false;
    }

    private ProxyChannel? TryGetChannel(uint channelId)
    {
        lock (_gate)
        {
            return _channels.GetValueOrDefault(channelId);
        }
    }

    private void ReplyError(uint correlationId, string text)
    {
        SpallocFrameWriter.TryWriteError(_reply, correlationId, text.AsSpan(), out var length);
        Reply(length);
    }

    private void Reply(int length)
    {
        Queue.TryAppendFrame(_reply.AsSpan(0, length));
        WakeSender();
    }

    /// <summary>The close reason for a malformed frame: which op, how long, what is wrong. Only numbers, never client bytes.</summary>
    private static string Describe(SpallocFrameError error, ReadOnlySpan<byte> frame)
    {
        var op = frame.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(frame) : uint.MaxValue;
        var name = op switch
        {
            0 => "OPEN",
            1 => "CLOSE",
            2 => "MSG",
            3 => "OPEN_UNBOUND",
            4 => "MSG_TO",
            5 => "ERROR",
            _ => $"op {op}",
        };
        return error switch
        {
            SpallocFrameError.TooShort when frame.Length < 4 => $"message of {frame.Length} bytes has no op word",
            SpallocFrameError.TooShort => $"{name} frame of {frame.Length} bytes is too short",
            SpallocFrameError.WrongLength => $"{name} frame of {frame.Length} bytes has the wrong length",
            SpallocFrameError.UnknownOp => $"unknown {name}",
            SpallocFrameError.OpNotAllowed => $"{name} is not sent by clients",
            _ => $"{name} frame rejected ({error})",
        };
    }

    private readonly record struct Outcome(OutcomeKind Kind, WebSocketCloseStatus Status = default, string? Description = null)
    {
        public static Outcome Violation(WebSocketCloseStatus status, string description) => new(OutcomeKind.Violation, status, description);
    }
}
