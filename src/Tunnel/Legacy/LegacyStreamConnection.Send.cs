using System.Diagnostics;
using System.Net.Sockets;

namespace FastSpinnRelay.Tunnel.Legacy;

public sealed partial class LegacyStreamConnection
{
    private long _framesOut;
    private long _bytesOut;
    private long _writeStarted;

    // 1 while a writer owns the outbox's taken block: FlushOrWake on its caller's thread, or the send loop. An
    // inline write the socket did not finish hands ownership, with what is left, to the send loop.
    // _handedOver is set (after _rest and _restFrames) when the send loop is to take that block over.
    private int _writing;
    private int _handedOver;
    private ReadOnlyMemory<byte> _rest;
    private int _restFrames;

    /// <summary>Frames written whole to the stream.</summary>
    public long FramesOut => Volatile.Read(ref _framesOut);

    /// <summary>Bytes written (length prefixes included).</summary>
    public long BytesOut => Volatile.Read(ref _bytesOut);

    /// <summary>
    /// Writes what the outbox holds on the caller's thread when no write is under way and the socket takes it without
    /// waiting (one non-blocking send); whatever it cannot finish, or cannot start, goes to the send loop, which is
    /// woken. Never blocks. For the UDP loop after a batch: it saves the hand-off to a pool thread per batch.
    /// </summary>
    public void FlushOrWake()
    {
        if (Volatile.Read(ref _started) == 0 || Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
        {
            _outbox.Wake();
            return;
        }

        var handedOver = false;
        try
        {
            if (IsClosing || !_outbox.TryTake(out var frames, out var count))
            {
                return;
            }

            int sent;
            try
            {
                sent = _socket.Send(frames.Span, SocketFlags.None, out var error);
                if (error is not (SocketError.Success or SocketError.WouldBlock))
                {
                    _outbox.Abandon();
                    RecordClose(FromSocketError(new SocketException((int)error), writing: true));
                    return;
                }
            }
            catch (ObjectDisposedException)
            {
                _outbox.Abandon();
                return;
            }

            if (sent == frames.Length)
            {
                Written(count, frames.Length);
                return;
            }

            _rest = frames[sent..];
            _restFrames = count;
            Volatile.Write(ref _writeStarted, Stopwatch.GetTimestamp());
            Volatile.Write(ref _handedOver, 1);
            handedOver = true;
        }
        finally
        {
            if (!handedOver)
            {
                Volatile.Write(ref _writing, 0);
            }

            // Frames queued while this thread wrote, or the rest it handed over: the send loop takes them.
            if (handedOver || _outbox.PendingBytes > 0)
            {
                _outbox.Wake();
            }
        }
    }

    private async Task<StreamClose> SendLoopAsync()
    {
        var holding = false;
        try
        {
            while (true)
            {
                if (IsClosing)
                {
                    return Closed(StreamCloseReason.ClosedLocally, 0, "closed by this side");
                }

                ReadOnlyMemory<byte> frames;
                int count;
                if (Volatile.Read(ref _handedOver) == 1)
                {
                    // An inline write handed its unfinished block (and the ownership) over.
                    (frames, count) = (_rest, _restFrames);
                    _rest = default;
                    Volatile.Write(ref _handedOver, 0);
                }
                else if (Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
                {
                    await _outbox.WaitAsync().ConfigureAwait(false); // an inline write is under way; it wakes us
                    continue;
                }
                else if (!_outbox.TryTake(out frames, out count))
                {
                    Volatile.Write(ref _writing, 0);
                    if (_outbox.IsClosed)
                    {
                        return Closed(StreamCloseReason.ClosedLocally, 0, "closed by this side");
                    }

                    await _outbox.WaitAsync().ConfigureAwait(false);
                    continue;
                }
                else
                {
                    Volatile.Write(ref _writeStarted, Stopwatch.GetTimestamp());
                }

                holding = true;
                var bytes = frames.Length;
                while (!frames.IsEmpty)
                {
                    var sent = await _socket.SendAsync(frames, SocketFlags.None).ConfigureAwait(false);
                    frames = frames[sent..];
                }

                holding = false;
                Written(count, bytes);
                Volatile.Write(ref _writing, 0);
            }
        }
        catch (SocketException e)
        {
            return FromSocketError(e, writing: true);
        }
        catch (ObjectDisposedException)
        {
            return Closed(StreamCloseReason.ClosedLocally, 0, "closed by this side");
        }
        finally
        {
            Volatile.Write(ref _writeStarted, 0);
            if (holding)
            {
                _outbox.Abandon();
            }
        }
    }

    /// <summary>A taken block went out whole: release it and count it. The owner of <see cref="_writing"/> only.</summary>
    private void Written(int frames, int bytes)
    {
        Volatile.Write(ref _writeStarted, 0);
        _outbox.Release();
        Volatile.Write(ref _framesOut, _framesOut + frames);
        Volatile.Write(ref _bytesOut, _bytesOut + bytes);
    }
}
