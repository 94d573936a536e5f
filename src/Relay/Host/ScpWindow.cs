using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Internal;

namespace FastSpinnRelay.Relay.Host;

/// <summary>
/// Sends a batch of independent SCP requests to one board with up to <see cref="Window"/> of them in flight at once,
/// as spinnman pipelines them, where <see cref="ScpClient"/> waits for each reply before the next request: memory
/// reads and writes of any length (256 bytes a request), or requests to many chips. Each request keeps its own
/// sequence number, timeout and attempts (the identical datagram is resent, as <see cref="ScpClient"/> does); replies
/// from elsewhere, late duplicates and RC_SUM / RC_P2P_BUSY answers are ignored. One UDP socket of its own; blocking;
/// not thread-safe.
/// </summary>
public sealed class ScpWindow : IDisposable
{
    /// <summary>Requests in flight by default (spinnman's pipeline keeps 8).</summary>
    public const int DefaultWindow = 8;

    private const int MaxWindow = 64;

    private readonly Socket _socket;
    private readonly SocketAddress _targetAddress;
    private readonly SocketAddress _from = SocketAddresses.NewBuffer();
    private readonly byte[] _reply = new byte[2048];
    private readonly Slot[] _slots;
    private TimeSpan _timeout = ScpClient.DefaultTimeout;
    private int _attempts = ScpClient.DefaultAttempts;
    private ushort _nextSequence;

    /// <summary>Opens the socket (port 0, as <see cref="ScpClient"/> binds).</summary>
    /// <param name="target">The board's SCP endpoint.</param>
    /// <param name="window">Requests in flight at once, 1 to 64.</param>
    /// <exception cref="SocketException">No socket could be bound.</exception>
    public ScpWindow(IPEndPoint target, int window = DefaultWindow)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(window, MaxWindow);
        Target = target;
        _targetAddress = target.Serialize();
        _socket = UdpSockets.BindClient(target, null);
        _slots = new Slot[window];
        for (var i = 0; i < window; i++)
        {
            _slots[i] = new Slot();
        }
    }

    /// <summary>Where requests go.</summary>
    public IPEndPoint Target { get; }

    /// <summary>Requests in flight at most.</summary>
    public int Window => _slots.Length;

    /// <summary>How long each attempt of a request waits for its reply (default 0.5 s; 1 ms to 1 min).</summary>
    public TimeSpan Timeout
    {
        get => _timeout;
        set => _timeout = ScpClient.CheckTimeout(value);
    }

    /// <summary>Sends of one request before the batch fails (default 5; 1 to 100).</summary>
    public int Attempts
    {
        get => _attempts;
        set => _attempts = ScpClient.CheckAttempts(value);
    }

    /// <summary>Retransmissions so far, over all batches.</summary>
    public long Retransmissions { get; private set; }

    /// <summary>Reads <paramref name="destination"/>.Length bytes at <paramref name="address"/> of chip (x, y).</summary>
    /// <exception cref="ScpClientException">A request got no reply after every attempt, an error answer, or a reply of the wrong length.</exception>
    public void Read(byte x, byte y, uint address, Memory<byte> destination) =>
        Run(new MemoryTransfer(this, ScpCommand.Read, x, y, address, destination.Length, default, destination));

    /// <summary>Writes <paramref name="source"/> at <paramref name="address"/> of chip (x, y).</summary>
    /// <exception cref="ScpClientException">A request got no reply after every attempt, or an error answer.</exception>
    public void Write(byte x, byte y, uint address, ReadOnlyMemory<byte> source) =>
        Run(new MemoryTransfer(this, ScpCommand.Write, x, y, address, source.Length, source, default));

    /// <summary>
    /// Sends every request of <paramref name="batch"/>, <see cref="Window"/> at a time, and hands each answer (whatever
    /// its return code) to the batch. An exception from the batch ends the run: requests still in flight are abandoned
    /// (their late replies are ignored by later runs).
    /// </summary>
    /// <exception cref="ScpClientException">A request got no reply after every attempt (<see cref="ScpFailure.Timeout"/>).</exception>
    public void Run(IScpBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int next = 0, done = 0, active = 0;
        try
        {
            while (done < batch.Count)
            {
                for (var s = 0; s < _slots.Length && active < _slots.Length && next < batch.Count; s++)
                {
                    if (!_slots[s].Busy)
                    {
                        Start(_slots[s], batch, next++);
                        active++;
                    }
                }

                var slot = AwaitReply(out var n);
                if (slot is null)
                {
                    ResendExpired(batch);
                    continue;
                }

                slot.Busy = false;
                active--;
                done++;
                batch.OnAnswer(slot.Index, _reply.AsSpan(0, n));
            }
        }
        finally
        {
            foreach (var slot in _slots)
            {
                slot.Busy = false;
            }
        }
    }

    public void Dispose() => _socket.Dispose();

    /// <summary>A failure of one request of a batch, naming the command, the chip, what the batch says of it, and this board.</summary>
    public ScpClientException Failure(ScpFailure failure, in ScpWindowRequest request, ScpResult? rc, string what, string why) =>
        new(failure, Target, request.Command, rc, string.Create(
            CultureInfo.InvariantCulture,
            $"SCP {ScpClient.DescribeCommand(request.Command)} {what}on chip ({request.X}, {request.Y}) via {Target} {why}"));

    /// <summary>A failure for an answer other than OK, naming its return code.</summary>
    public ScpClientException ErrorAnswer(in ScpWindowRequest request, ScpResult rc, string what) =>
        Failure(ScpFailure.ErrorReply, request, rc, what, $"failed: the board answered {ScpClient.DescribeResult(rc)}");

    private void Start(Slot slot, IScpBatch batch, int index)
    {
        var request = batch.Request(index);
        slot.Busy = true;
        slot.Index = index;
        slot.Sequence = _nextSequence++;
        slot.Sent = 1;
        ScpMessage.TryWriteRequest(
            slot.Datagram, SdpHeader.ScpRequest(request.X, request.Y, 0), request.Command, slot.Sequence,
            [request.Arg1, request.Arg2, request.Arg3], request.Data.Span, out slot.Length);
        Send(slot);
    }

    private void Send(Slot slot)
    {
        _socket.SendTo(slot.Datagram.AsSpan(0, slot.Length), SocketFlags.None, _targetAddress);
        slot.Deadline = Stopwatch.GetTimestamp() + (long)(_timeout.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>Sends again every request whose attempt timed out; fails the batch when one has had all its attempts.</summary>
    private void ResendExpired(IScpBatch batch)
    {
        var now = Stopwatch.GetTimestamp();
        foreach (var slot in _slots)
        {
            if (!slot.Busy || slot.Deadline > now)
            {
                continue;
            }

            if (slot.Sent >= _attempts)
            {
                throw Failure(ScpFailure.Timeout, batch.Request(slot.Index), null, batch.Describe(slot.Index), string.Create(
                    CultureInfo.InvariantCulture, $"got no reply after {_attempts} attempts of {_timeout.TotalMilliseconds:0.###} ms each"));
            }

            slot.Sent++;
            Retransmissions++;
            Send(slot);
        }
    }

    /// <summary>Waits until the earliest deadline for a reply that matches a request in flight; its slot, or null at the deadline.</summary>
    private Slot? AwaitReply(out int length)
    {
        var deadline = long.MaxValue;
        foreach (var slot in _slots)
        {
            if (slot.Busy && slot.Deadline < deadline)
            {
                deadline = slot.Deadline;
            }
        }

        while ((length = ScpClient.ReceiveReply(_socket, _reply, _from, _targetAddress, deadline, out var header)) > 0)
        {
            foreach (var slot in _slots)
            {
                if (slot.Busy && slot.Sequence == header.Sequence)
                {
                    return slot;
                }
            }

            // A late duplicate of a request already answered.
        }

        return null;
    }

    /// <summary>One request in flight: its datagram (kept for resends), its index in the batch, sequence number and deadline.</summary>
    private sealed class Slot
    {
        public readonly byte[] Datagram = new byte[SdpConstants.MaxDatagramLength];
        public int Length;
        public bool Busy;
        public int Index;
        public ushort Sequence;
        public int Sent;
        public long Deadline;
    }

    /// <summary>A READ or WRITE of any length as requests of at most 256 bytes: request i covers bytes [256 i, 256 i + 256).</summary>
    private sealed class MemoryTransfer : IScpBatch
    {
        private readonly ScpWindow _window;
        private readonly ScpCommand _command;
        private readonly byte _x;
        private readonly byte _y;
        private readonly uint _address;
        private readonly int _length;
        private readonly ReadOnlyMemory<byte> _source;
        private readonly Memory<byte> _destination;

        public MemoryTransfer(ScpWindow window, ScpCommand command, byte x, byte y, uint address, int length, ReadOnlyMemory<byte> source, Memory<byte> destination)
        {
            if ((ulong)address + (ulong)length > 1UL << 32)
            {
                throw new ArgumentOutOfRangeException(nameof(address), "the transfer runs past the end of the 32-bit address space");
            }

            (_window, _command, _x, _y, _address, _length, _source, _destination) = (window, command, x, y, address, length, source, destination);
            Count = (length + ScpClient.MaxChunk - 1) / ScpClient.MaxChunk;
        }

        public int Count { get; }

        public ScpWindowRequest Request(int index)
        {
            var (offset, length) = Chunk(index);
            var args = ScpMemoryArgs.ForTransfer(_address + (uint)offset, (uint)length);
            return new ScpWindowRequest(
                _x, _y, _command, args.Address, args.Length, (uint)args.AccessType, _command == ScpCommand.Write ? _source.Slice(offset, length) : default);
        }

        public string Describe(int index)
        {
            var (offset, length) = Chunk(index);
            return string.Create(CultureInfo.InvariantCulture, $"of {length} bytes at 0x{_address + (uint)offset:X8} ");
        }

        public void OnAnswer(int index, ReadOnlySpan<byte> reply)
        {
            ScpHeader.TryRead(reply, out var header);
            if (header.Result != ScpResult.Ok)
            {
                throw _window.ErrorAnswer(Request(index), header.Result, Describe(index));
            }

            if (_command == ScpCommand.Read)
            {
                var (offset, length) = Chunk(index);
                var error = ScpMessage.TryRead(reply, 0, out var m);
                if (error != ScpError.None || m.Data.Length != length)
                {
                    throw _window.Failure(ScpFailure.MalformedReply, Request(index), null, Describe(index), error != ScpError.None
                        ? $"got a malformed reply ({error})"
                        : string.Create(CultureInfo.InvariantCulture, $"got a malformed reply ({m.Data.Length} bytes returned)"));
                }

                m.Data.CopyTo(_destination.Span.Slice(offset, length));
            }
        }

        private (int Offset, int Length) Chunk(int index)
        {
            var offset = index * ScpClient.MaxChunk;
            return (offset, Math.Min(ScpClient.MaxChunk, _length - offset));
        }
    }
}

/// <summary>One request of an <see cref="IScpBatch"/>: the chip (core 0, its monitor), the command, three argument words and the data.</summary>
public readonly record struct ScpWindowRequest(byte X, byte Y, ScpCommand Command, uint Arg1, uint Arg2, uint Arg3, ReadOnlyMemory<byte> Data);

/// <summary>Independent SCP requests for <see cref="ScpWindow.Run"/>, which may send them in any order and several at once.</summary>
public interface IScpBatch
{
    /// <summary>How many requests.</summary>
    int Count { get; }

    /// <summary>Request <paramref name="index"/> (asked again for a resend or an error message, so it must not change).</summary>
    ScpWindowRequest Request(int index);

    /// <summary>What request <paramref name="index"/> is, for messages, e.g. "of 256 bytes at 0x60000000 " (with a trailing space), or "".</summary>
    string Describe(int index);

    /// <summary>The answer to request <paramref name="index"/>, whatever its return code; throw to end the run.</summary>
    void OnAnswer(int index, ReadOnlySpan<byte> reply);
}
