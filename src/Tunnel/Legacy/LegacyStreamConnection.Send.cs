using System.Diagnostics;
using System.Net.Sockets;

namespace FastSpinnRelay.Tunnel.Legacy;

public sealed partial class LegacyStreamConnection
{
    private long _framesOut;
    private long _bytesOut;
    private long _writeStarted;

    /// <summary>Frames written whole to the stream.</summary>
    public long FramesOut => Volatile.Read(ref _framesOut);

    /// <summary>Bytes written (length prefixes included).</summary>
    public long BytesOut => Volatile.Read(ref _bytesOut);

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

                if (!_outbox.TryTake(out var frames, out var count))
                {
                    if (_outbox.IsClosed)
                    {
                        return Closed(StreamCloseReason.ClosedLocally, 0, "closed by this side");
                    }

                    await _outbox.WaitAsync().ConfigureAwait(false);
                    continue;
                }

                holding = true;
                var bytes = frames.Length;
                Volatile.Write(ref _writeStarted, Stopwatch.GetTimestamp());
                while (!frames.IsEmpty)
                {
                    var sent = await _socket.SendAsync(frames, SocketFlags.None).ConfigureAwait(false);
                    frames = frames[sent..];
                }

                Volatile.Write(ref _writeStarted, 0);
                _outbox.Release();
                holding = false;
                Volatile.Write(ref _framesOut, _framesOut + count);
                Volatile.Write(ref _bytesOut, _bytesOut + bytes);
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
}
