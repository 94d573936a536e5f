using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace FastSpinnRelay.Tunnel.Legacy;

public sealed partial class LegacyStreamConnection
{
    private long _framesOut;
    private long _bytesOut;
    private long _writeStarted;

    // 1 while a writer owns the outbox's taken block: FlushOrWake on its caller's thread, the send loop, or the
    // completion chain an unfinished inline write continues in (_chaining is 1 while that chain runs).
    private int _writing;
    private int _chaining;
    private SocketAsyncEventArgs? _chainArgs;
    private int _chainFrames;
    private int _chainBytes;

    /// <summary>Frames written whole to the stream.</summary>
    public long FramesOut => Volatile.Read(ref _framesOut);

    /// <summary>Bytes written (length prefixes included).</summary>
    public long BytesOut => Volatile.Read(ref _bytesOut);

    /// <summary>
    /// Writes what the outbox holds on the caller's thread when no write is under way and the socket takes it without
    /// waiting (one non-blocking send); whatever it cannot finish continues from the socket's completions. When a
    /// write is under way, the send loop is woken to take the frames next, unless that write is such a completion
    /// chain, which takes them by itself. Never blocks. For the UDP loop after a batch: it saves the hand-off to a
    /// pool thread per batch.
    /// </summary>
    public void FlushOrWake()
    {
        if (Volatile.Read(ref _started) == 0)
        {
            _outbox.Wake();
            return;
        }

        if (Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
        {
            if (Volatile.Read(ref _chaining) == 0)
            {
                _outbox.Wake();
            }

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

            // The socket is full: the rest goes out from the socket's own completions (no thread-pool hand-off).
            Volatile.Write(ref _writeStarted, Stopwatch.GetTimestamp());
            handedOver = true;
            StartChain(frames[sent..], count, frames.Length);
        }
        finally
        {
            if (!handedOver)
            {
                Volatile.Write(ref _writing, 0);

                // Frames queued while this thread wrote: the send loop takes them.
                if (_outbox.PendingBytes > 0)
                {
                    _outbox.Wake();
                }
            }
        }
    }

    /// <summary>
    /// Finishes an inline write the socket did not take whole, then writes whatever else the outbox holds, each step
    /// started from the previous one's completion (on the socket engine's thread, which runs completions inline when
    /// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>). Waking the send loop instead cost a thread-pool wake-up
    /// per unfinished write and the pool thread's spinning afterwards (15 % of the client's CPU at full load).
    /// Owns <see cref="_writing"/> until it ends; no allocation after the first (one reused event-args object).
    /// </summary>
    private void StartChain(ReadOnlyMemory<byte> rest, int frames, int bytes)
    {
        Volatile.Write(ref _chaining, 1);
        _chainFrames = frames;
        _chainBytes = bytes;
        var args = _chainArgs;
        if (args is null)
        {
            args = new SocketAsyncEventArgs();
            args.Completed += static (_, e) => ((LegacyStreamConnection)e.UserToken!).OnChainSent(e);
            args.UserToken = this;
            _chainArgs = args;
        }

        SendChain(args, rest);
    }

    /// <summary>Sends <paramref name="rest"/> and whatever follows until a send is pending or the chain ends.</summary>
    private void SendChain(SocketAsyncEventArgs args, ReadOnlyMemory<byte> rest)
    {
        while (true)
        {
            args.SetBuffer(MemoryMarshal.AsMemory(rest));
            bool pending;
            try
            {
                pending = _socket.SendAsync(args);
            }
            catch (ObjectDisposedException)
            {
                EndChain(written: false, close: null);
                return;
            }

            if (pending || !TryContinueChain(args, out rest))
            {
                return;
            }
        }
    }

    private void OnChainSent(SocketAsyncEventArgs args)
    {
        if (TryContinueChain(args, out var rest))
        {
            SendChain(args, rest);
        }
    }

    /// <summary>After a send completed: what to send next, or false when the chain has ended (written, closed or failed).</summary>
    private bool TryContinueChain(SocketAsyncEventArgs args, out ReadOnlyMemory<byte> rest)
    {
        rest = default;
        if (args.SocketError != SocketError.Success)
        {
            EndChain(written: false, FromSocketError(new SocketException((int)args.SocketError), writing: true));
            return false;
        }

        var left = args.MemoryBuffer[args.BytesTransferred..];
        if (!left.IsEmpty && args.BytesTransferred > 0)
        {
            rest = left;
            return true;
        }

        if (!left.IsEmpty)
        {
            EndChain(written: false, Closed(StreamCloseReason.WriteFailed, 0, "write failed: the socket took nothing"));
            return false;
        }

        Written(_chainFrames, _chainBytes);
        if (IsClosing || !_outbox.TryTake(out var next, out var count))
        {
            EndChain(written: true, close: null);
            return false;
        }

        Volatile.Write(ref _writeStarted, Stopwatch.GetTimestamp());
        _chainFrames = count;
        _chainBytes = next.Length;
        rest = next;
        return true;
    }

    /// <summary>Releases the write ownership; the send loop takes over anything queued meanwhile, and notices a close.</summary>
    private void EndChain(bool written, StreamClose? close)
    {
        if (!written)
        {
            Volatile.Write(ref _writeStarted, 0);
            _outbox.Abandon();
        }

        if (close is { } reason)
        {
            RecordClose(reason);
        }

        Volatile.Write(ref _writing, 0);
        Volatile.Write(ref _chaining, 0);

        // Frames queued after the last take (their FlushOrWake found the chain busy), a failed write, or a close the
        // connection is waiting out (WhenChainEndedAsync): the send loop takes over. Otherwise nobody needs waking.
        if (!written || IsClosing || _outbox.PendingBytes > 0)
        {
            _outbox.Wake();
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
                if (Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
                {
                    await _outbox.WaitAsync().ConfigureAwait(false); // an inline write or its chain is under way; it wakes us
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
            if (holding)
            {
                Volatile.Write(ref _writeStarted, 0);
                _outbox.Abandon();
            }
        }
    }

    /// <summary>The send loop has ended: wait (bounded by the socket's disposal, which aborts a pending send) for a write chain to end too.</summary>
    private async Task WhenChainEndedAsync()
    {
        while (Volatile.Read(ref _chaining) != 0)
        {
            await _outbox.WaitAsync().ConfigureAwait(false);
        }

        _chainArgs?.Dispose();
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
