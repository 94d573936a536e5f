using System.Diagnostics;
using System.Net;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Bench.Internal;

/// <summary>
/// An SCP client that keeps <see cref="Window"/> VER requests outstanding (1 or 8 in the workloads, as SCP
/// windows are), each in a slot whose sequence numbers are <c>slot, slot + Window, ...</c> modulo 2^16, so a reply
/// finds its slot with a mask. A reply completes its slot (latency = now - last send) and the next request
/// leaves at once; a request unanswered for <see cref="Timeout"/> is sent again with the same sequence number.
/// Runs on its own <see cref="UdpEventLoop"/>; allocates nothing per request.
/// </summary>
/// <remarks>
/// Threading: receiver, tick handler and start-up work run on the client's loop thread. <see cref="Replies"/>
/// and the flags are any-thread; the histogram and the other counters are read after <see cref="Dispose"/>.
/// </remarks>
internal sealed class RequestResponseClient : IUdpReceiver, IUdpTickHandler, IUdpLoopWork, IDisposable
{
    private static readonly double NanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    private readonly UdpEventLoop _loop;
    private readonly UdpSocket _socket;
    private readonly UdpAddress _destination;
    private readonly byte[] _request = new byte[64];
    private readonly int _requestLength;
    private readonly ushort[] _sequence;
    private readonly long[] _sentAt;
    private readonly bool[] _outstanding;
    private readonly long _timeoutTicks;
    private int _measuring;
    private int _stopping;
    private long _replies;

    /// <param name="local">Where to bind (loopback port 0 on one machine).</param>
    /// <param name="destination">Where requests go (the path's entry).</param>
    /// <param name="window">Requests kept outstanding: a power of two from 1 to 64.</param>
    /// <param name="timeout">Resend a request unanswered for this long.</param>
    public RequestResponseClient(IPEndPoint local, UdpAddress destination, int window, TimeSpan timeout)
    {
        if (window is < 1 or > 64 || (window & (window - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "The window must be a power of two from 1 to 64.");
        }

        Window = window;
        Timeout = timeout;
        _destination = destination;
        _timeoutTicks = (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        _sequence = new ushort[window];
        _sentAt = new long[window];
        _outstanding = new bool[window];
        ScpMessage.TryWriteRequest(_request, SdpHeader.ScpRequest(0, 0, 0), ScpCommand.Ver, 0, [0, 0, 0], [], out _requestLength);
        _socket = new UdpSocket(local, new UdpSocketOptions { Name = "bench-rr-client" });
        _loop = new UdpEventLoop(new UdpEventLoopOptions
        {
            Name = "bench-rr-client",
            TickInterval = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, timeout.Ticks / 10)),
        });
        _loop.AddTickHandler(this);
        if (!_loop.Register(_socket, this))
        {
            throw new InvalidOperationException("The client's loop stopped before it started.");
        }
    }

    public int Window { get; }

    public TimeSpan Timeout { get; }

    /// <summary>Size of each request datagram (an SCP VER request with three zero arguments).</summary>
    public int RequestLength => _requestLength;

    /// <summary>Replies matched to an outstanding request, every phase. Any thread.</summary>
    public long Replies => Volatile.Read(ref _replies);

    /// <summary>Requests sent during the measured phase, resends included.</summary>
    public long MeasuredRequests { get; private set; }

    /// <summary>Replies matched during the measured phase.</summary>
    public long MeasuredReplies { get; private set; }

    /// <summary>Requests resent after a timeout during the measured phase.</summary>
    public long MeasuredTimeouts { get; private set; }

    /// <summary>Replies that matched no outstanding request (late answers to resent requests, strays), every phase.</summary>
    public long Stale { get; private set; }

    /// <summary>Round-trip latency of measured replies (ns).</summary>
    public LatencyHistogram Latency { get; } = new();

    /// <summary>Sends the first <see cref="Window"/> requests. Any thread.</summary>
    public void Start() => _loop.Post(this);

    /// <summary>Switches counting into the measured figures on or off. Any thread.</summary>
    public void SetMeasuring(bool on) => Volatile.Write(ref _measuring, on ? 1 : 0);

    /// <summary>Stops issuing requests (replies still complete). Any thread.</summary>
    public void StopSending() => Volatile.Write(ref _stopping, 1);

    void IUdpLoopWork.Execute(UdpEventLoop loop)
    {
        var now = Stopwatch.GetTimestamp();
        for (var slot = 0; slot < Window; slot++)
        {
            _sequence[slot] = (ushort)slot;
            Send(slot, now);
        }
    }

    public void OnDatagrams(UdpSocket socket, DatagramBatch batch)
    {
        var now = Stopwatch.GetTimestamp();
        var measuring = Volatile.Read(ref _measuring) != 0;
        var stopping = Volatile.Read(ref _stopping) != 0;
        var matched = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            if (ScpHeader.TryRead(batch.GetPayload(i), out var header) != ScpError.None)
            {
                Stale++;
                continue;
            }

            var slot = header.Sequence & (Window - 1);
            if (!_outstanding[slot] || _sequence[slot] != header.Sequence)
            {
                Stale++;
                continue;
            }

            _outstanding[slot] = false;
            matched++;
            if (measuring)
            {
                MeasuredReplies++;
                Latency.Record((long)((now - _sentAt[slot]) * NanosecondsPerTick));
            }

            if (!stopping)
            {
                _sequence[slot] = (ushort)(_sequence[slot] + Window);
                Send(slot, now);
            }
        }

        Volatile.Write(ref _replies, _replies + matched);
    }

    public void OnTick(UdpEventLoop loop, long timestamp)
    {
        for (var slot = 0; slot < Window; slot++)
        {
            if (_outstanding[slot] && timestamp - _sentAt[slot] >= _timeoutTicks)
            {
                if (Volatile.Read(ref _measuring) != 0)
                {
                    MeasuredTimeouts++;
                }

                if (Volatile.Read(ref _stopping) != 0)
                {
                    _outstanding[slot] = false;
                    continue;
                }

                Send(slot, timestamp);
            }
        }
    }

    /// <summary>Stops the loop (joining its thread) and closes the socket.</summary>
    public void Dispose()
    {
        _loop.Dispose();
        _socket.Dispose();
    }

    private void Send(int slot, long now)
    {
        ScpHeader.WriteSequence(_request.AsSpan(0, _requestLength), _sequence[slot]);
        _outstanding[slot] = true;
        _sentAt[slot] = now;
        if (Volatile.Read(ref _measuring) != 0)
        {
            MeasuredRequests++;
        }

        _socket.QueueSendTo(_request.AsSpan(0, _requestLength), _destination);
    }
}
