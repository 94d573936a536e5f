using System.Diagnostics;
using FastSpinnRelay.Relay.Udp.Internal;

namespace FastSpinnRelay.Relay.Udp;

public sealed partial class UdpEventLoop
{
    private void Run()
    {
        var tickInterval = (long)(_options.TickInterval.TotalSeconds * Stopwatch.Frequency);
        var nextTick = Stopwatch.GetTimestamp() + tickInterval;
        try
        {
            while (!Volatile.Read(ref _stopRequested))
            {
                try
                {
                    RunOnce(ref nextTick, tickInterval);
                }
                catch (Exception e)
                {
                    // A defect in the loop itself: report it and keep serving; pause briefly so a repeating
                    // fault cannot spin a core.
                    Fault(e);
                    Thread.Sleep(1);
                }
            }
        }
        finally
        {
            Shutdown();
        }
    }

    private void RunOnce(ref long nextTick, long tickInterval)
    {
        var now = Stopwatch.GetTimestamp();
        var timeoutMs = now >= nextTick ? 0 : (int)Math.Min(int.MaxValue, ((nextTick - now) * 1000 / Stopwatch.Frequency) + 1);
        if (Volatile.Read(ref _commandsPending) != 0)
        {
            timeoutMs = 0;
        }

        var count = _spinTicks > 0 && _handledDatagrams && timeoutMs != 0 && _spin.ShouldSpin()
            ? PollThenWait(timeoutMs, out var woken, out var errorCode)
            : _poller.Wait(timeoutMs, _events, out woken, out errorCode);
        Volatile.Write(ref _iterations, _iterations + 1);
        _handledDatagrams = false;
        if (woken)
        {
            // A full fence, not a release write: the reads of _commandsPending below must not move before it, or a
            // poster that still saw the old wake pending (and so did not wake) could have its command missed.
            Interlocked.Exchange(ref _wakePending, 0);
        }

        if (count < 0)
        {
            ReportError(null, UdpOperation.Poll, errorCode);
            Thread.Sleep(1);
            count = 0;
        }

        for (var i = 0; i < count; i++)
        {
            Dispatch(_events[i]);
        }

        if (Volatile.Read(ref _commandsPending) != 0)
        {
            RunCommands();
        }

        now = Stopwatch.GetTimestamp();
        if (now >= nextTick)
        {
            nextTick = now + tickInterval;
            RunTicks(now);
        }

        FlushPending();
    }

    /// <summary>
    /// Polls without blocking, yielding the core between polls, until something is ready, a command is queued, or
    /// <see cref="UdpEventLoopOptions.SpinBeforeSleep"/> has passed (at most <see cref="MaxSpinPolls"/> polls), then
    /// waits as usual. Tells the spin policy what the spin found: a ready socket, nothing, or that another thread
    /// took the core meanwhile (a poll and a yield took longer than <see cref="ContendedGapMicroseconds"/>): on a
    /// busy machine a sleeping loop is woken sooner than a yielding one gets its core back, so it stops spinning.
    /// </summary>
    private int PollThenWait(int timeoutMs, out bool woken, out int errorCode)
    {
        var last = Stopwatch.GetTimestamp();
        var deadline = last + _spinTicks;
        for (var polls = 0; polls < MaxSpinPolls; polls++)
        {
            var count = _poller.Wait(0, _events, out woken, out errorCode);
            var now = Stopwatch.GetTimestamp();
            var contended = now - last > _contendedTicks;
            if (count > 0)
            {
                if (contended)
                {
                    _spin.Contended();
                }
                else
                {
                    _spin.Hit();
                }

                Volatile.Write(ref _spinHits, _spinHits + 1);
                return count;
            }

            if (count < 0 || woken || Volatile.Read(ref _commandsPending) != 0)
            {
                return count;
            }

            if (contended)
            {
                _spin.Contended();
                break;
            }

            if (now >= deadline)
            {
                _spin.Miss();
                break;
            }

            // Polite spinning: a thread that wants this core gets it now (sched_yield returns at once when none
            // does), so the spin only uses time nobody else wants.
            last = now;
            Thread.Yield();
        }

        return _poller.Wait(timeoutMs, _events, out woken, out errorCode);
    }

    private void Dispatch(in ReadyEvent ready)
    {
        var index = (int)ready.Token;
        if ((uint)index >= (uint)_registrations.Count
            || _registrations[index] is not { } registration
            || registration.Generation != (int)(ready.Token >> 32))
        {
            return; // Unregistered earlier in this iteration.
        }

        var socket = registration.Socket;
        if (ready.Writable && socket.WaitingForWritable)
        {
            Flush(socket);
        }

        if (!ready.Readable)
        {
            return;
        }

        var status = socket.Receive(_batch);
        while (status == UdpStatus.Ok)
        {
            _handledDatagrams = true;
            try
            {
                registration.Receiver.OnDatagrams(socket, _batch);
            }
            catch (Exception e)
            {
                Fault(e);
            }

            // A coalesced read can hold more datagrams than one batch; the kernel will not signal them again, so
            // they are handed out now (at most a read's worth: 16 messages of up to 64 datagrams), unless the
            // receiver unregistered the socket meanwhile.
            if (!socket.HasPendingReceive(_batch) || !ReferenceEquals(_registrations[index], registration))
            {
                break;
            }

            status = socket.Receive(_batch);
        }

        if (status == UdpStatus.Closed)
        {
            ApplyUnregister(socket, dispose: false);
        }
    }

    private void RunCommands()
    {
        lock (_gate)
        {
            (_commands, _running) = (_running, _commands);
            Volatile.Write(ref _commandsPending, 0);
        }

        while (_running.TryDequeue(out var command))
        {
            try
            {
                switch (command.Kind)
                {
                    case CommandKind.Register:
                        ApplyRegister(command.Socket!, (IUdpReceiver)command.Target!);
                        break;
                    case CommandKind.Unregister:
                        ApplyUnregister(command.Socket!, command.Dispose);
                        break;
                    case CommandKind.Post:
                        ((IUdpLoopWork)command.Target!).Execute(this);
                        break;
                    case CommandKind.AddTick:
                        _tickHandlers.Add((IUdpTickHandler)command.Target!);
                        break;
                    case CommandKind.RemoveTick:
                        _tickHandlers.Remove((IUdpTickHandler)command.Target!);
                        break;
                }
            }
            catch (Exception e)
            {
                Fault(e);
            }
        }
    }

    private void RunTicks(long now)
    {
        for (var i = 0; i < _tickHandlers.Count; i++)
        {
            try
            {
                _tickHandlers[i].OnTick(this, now);
            }
            catch (Exception e)
            {
                Fault(e);
            }
        }
    }

    private void FlushPending()
    {
        for (var i = 0; i < _pendingFlush.Count; i++)
        {
            var socket = _pendingFlush[i];
            socket.PendingFlush = false;
            Flush(socket);
        }

        _pendingFlush.Clear();
    }

    /// <summary>Flushes one socket and keeps its writability interest in step with whether sends are still waiting.</summary>
    private void Flush(UdpSocket socket)
    {
        var blocked = socket.FlushSends() == UdpStatus.WouldBlock;
        if (blocked != socket.WaitingForWritable && socket.Owner == this && socket.LoopSlot >= 0
            && _registrations[socket.LoopSlot] is { } registration)
        {
            socket.WaitingForWritable = blocked;
            _poller.SetWriteInterest(socket, Token(socket.LoopSlot, registration.Generation), blocked);
        }
    }

    private void ApplyRegister(UdpSocket socket, IUdpReceiver receiver)
    {
        if (socket.Owner != this || socket.LoopSlot >= 0)
        {
            return;
        }

        if (socket.IsDisposed)
        {
            socket.Owner = null;
            return;
        }

        var slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : AddSlot();
        Registration registration;
        if (_spare is { } spare && ReferenceEquals(spare.Socket, socket) && ReferenceEquals(spare.Receiver, receiver))
        {
            registration = spare;
            _spare = null;
        }
        else
        {
            registration = new Registration(socket, receiver);
        }

        registration.Generation = _nextGeneration++;
        var error = _poller.Add(socket, Token(slot, registration.Generation));
        if (error != 0)
        {
            _freeSlots.Push(slot);
            socket.Owner = null;
            ReportError(socket, UdpOperation.Register, error);
            return;
        }

        _registrations[slot] = registration;
        socket.LoopSlot = slot;
        Volatile.Write(ref _registeredCount, _registeredCount + 1);
    }

    private void ApplyUnregister(UdpSocket socket, bool dispose)
    {
        if (socket.Owner != this)
        {
            return;
        }

        var slot = socket.LoopSlot;
        if (slot >= 0 && ReferenceEquals(_registrations[slot]?.Socket, socket))
        {
            _poller.Remove(socket);
            _spare = dispose ? null : _registrations[slot];
            _registrations[slot] = null;
            _freeSlots.Push(slot);
            Volatile.Write(ref _registeredCount, _registeredCount - 1);
        }

        socket.LoopSlot = -1;
        socket.WaitingForWritable = false;
        socket.Owner = null;
        if (dispose)
        {
            socket.Dispose();
        }
    }

    private int AddSlot()
    {
        _registrations.Add(null);
        return _registrations.Count - 1;
    }

    private static long Token(int slot, int generation) => ((long)generation << 32) | (uint)slot;

    /// <summary>
    /// Runs on the loop thread as it exits: refuses further commands, flushes what receivers queued, applies
    /// queued unregistrations (and their disposals), releases every socket, then frees the poller.
    /// </summary>
    private void Shutdown()
    {
        lock (_gate)
        {
            _stopRequested = true;
            (_commands, _running) = (_running, _commands);
        }

        while (_running.TryDequeue(out var command))
        {
            if (command.Kind == CommandKind.Register && command.Socket!.Owner == this && command.Socket.LoopSlot < 0)
            {
                command.Socket.Owner = null;
            }
            else if (command.Kind == CommandKind.Unregister)
            {
                ApplyUnregister(command.Socket!, command.Dispose);
            }
            else if (command.Target is Invocation invocation)
            {
                invocation.Abandon(this); // its caller waits for it: say it will not run
            }
        }

        FlushPending();
        for (var slot = 0; slot < _registrations.Count; slot++)
        {
            if (_registrations[slot] is { } registration)
            {
                ApplyUnregister(registration.Socket, dispose: false);
            }
        }

        lock (_gate)
        {
            _exited = true; // no wake-up is claimed from now on
        }

        // Wake-ups claimed before are written outside the gate: let them finish (each is one non-blocking write)
        // before the poller's descriptors are closed and their numbers can be reused.
        var spin = default(SpinWait);
        while (Volatile.Read(ref _wakesInFlight) != 0)
        {
            spin.SpinOnce();
        }

        _poller.Dispose();

        _batch.Dispose();
    }
}
