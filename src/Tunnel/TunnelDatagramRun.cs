using FastSpinnRelay.Protocol.Tunnel;

namespace FastSpinnRelay.Tunnel;

/// <summary>
/// The datagrams of one BATCH frame for one channel that arrived back to back, handed to an
/// <see cref="ITunnelRunHandler"/> in one call: read them with <see cref="TryNext"/>. Each span is valid until the next
/// call; the run is valid only during the handler's call. Datagrams the handler does not read are dropped. A copy of
/// the run reads on from where the run stood when copied, independently of it: a handler that sends each datagram to
/// several places can read the run once per place (what the run itself read is what counts as handled).
/// </summary>
public ref struct TunnelDatagramRun
{
    private TunnelBatchRecordEnumerator _walk;
    private readonly ushort _channel;
    private bool _started;
    private bool _ended;
    private bool _moreChannels;
    private int _count;

    /// <param name="walk">Positioned on the run's first record.</param>
    internal TunnelDatagramRun(TunnelBatchRecordEnumerator walk)
    {
        _walk = walk;
        _channel = walk.Channel;
    }

    /// <summary>Datagrams read so far.</summary>
    public readonly int Count => _count;

    /// <summary>The next datagram of the run, or false when the run is over.</summary>
    public bool TryNext(out ReadOnlySpan<byte> datagram)
    {
        if (_started && (_ended || !Advance()))
        {
            datagram = default;
            return false;
        }

        _started = true;
        datagram = _walk.Datagram;
        _count++;
        return true;
    }

    /// <summary>Reads what the handler left; returns how many datagrams the run held in all.</summary>
    internal int Finish()
    {
        while (TryNext(out _))
        {
        }

        return _count;
    }

    /// <summary>After <see cref="Finish"/>: the batch's walk, positioned on the next channel's first record when true.</summary>
    internal readonly bool NextRun(out TunnelBatchRecordEnumerator walk)
    {
        walk = _walk;
        return _moreChannels;
    }

    private bool Advance()
    {
        if (!_walk.MoveNext())
        {
            _ended = true;
            return false;
        }

        if (_walk.Channel != _channel)
        {
            _ended = true;
            _moreChannels = true;
            return false;
        }

        return true;
    }
}
