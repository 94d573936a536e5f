using System.Buffers.Binary;
using System.Globalization;
using FastSpinnRelay.Protocol.Sdp;

namespace FastSpinnRelay.Relay.Host;

/// <summary>
/// What spinnman's and the Java service's reset of routing does to each chip, as an <see cref="IScpBatch"/>: clear its
/// multicast router table (RTR, operation 0), clear its router diagnostic counters (0xFFFFFFFF written to 0xF100002C),
/// and write each custom diagnostic filter word to its control register (0xE1000200 + 4 × position). A chip its board
/// cannot reach (an RC_P2P_* or RC_ROUTE answer: a dead chip) is skipped and listed in <see cref="Unreachable"/>; any
/// other answer but OK fails the run.
/// </summary>
public sealed class ScpRoutingReset : IScpBatch
{
    /// <summary>Diagnostic filter positions 0..15.</summary>
    public const int FilterCount = 16;

    private const uint CounterClearAddress = 0xF100_002C;
    private const uint FilterControlAddress = 0xE100_0200;
    private static readonly ReadOnlyMemory<byte> AllOnes = new byte[] { 0xFF, 0xFF, 0xFF, 0xFF };

    private readonly ScpWindow _window;
    private readonly IReadOnlyList<(byte X, byte Y)> _chips;
    private readonly (int Position, ReadOnlyMemory<byte> Word)[] _filters;
    private readonly List<(byte X, byte Y)> _unreachable = [];

    /// <param name="window">The window the run goes through (for its failure messages).</param>
    /// <param name="chips">The chips to reset, all reached through that window's board.</param>
    /// <param name="filters">Diagnostic filters to set: position (0..15) and word.</param>
    public ScpRoutingReset(ScpWindow window, IReadOnlyList<(byte X, byte Y)> chips, IReadOnlyDictionary<int, uint> filters)
    {
        _window = window;
        _chips = chips;
        // Loops, not LINQ: LINQ over value types makes native AOT compile a copy of its iterators for each (about 200 KB here).
        var positions = new int[filters.Count];
        var n = 0;
        foreach (var (position, _) in filters)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(position, nameof(filters));
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(position, FilterCount, nameof(filters));
            positions[n++] = position;
        }

        Array.Sort(positions);
        _filters = new (int, ReadOnlyMemory<byte>)[positions.Length];
        for (var i = 0; i < positions.Length; i++)
        {
            var word = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(word, filters[positions[i]]);
            _filters[i] = (positions[i], word);
        }
    }

    private int PerChip => 2 + _filters.Length;

    public int Count => _chips.Count * PerChip;

    /// <summary>Chips skipped because their board could not reach them, in the order found.</summary>
    public IReadOnlyList<(byte X, byte Y)> Unreachable => _unreachable;

    public ScpWindowRequest Request(int index)
    {
        var (x, y) = _chips[index / PerChip];
        return (index % PerChip) switch
        {
            0 => new ScpWindowRequest(x, y, ScpCommand.Rtr, 0, 0, 0, default),
            1 => new ScpWindowRequest(x, y, ScpCommand.Write, CounterClearAddress, 4, (uint)ScpAccessType.Word, AllOnes),
            var i => new ScpWindowRequest(
                x, y, ScpCommand.Write, FilterControlAddress + (4 * (uint)_filters[i - 2].Position), 4, (uint)ScpAccessType.Word, _filters[i - 2].Word),
        };
    }

    public string Describe(int index) => (index % PerChip) switch
    {
        0 => "(clear the router table) ",
        1 => "(clear the diagnostic counters) ",
        var i => string.Create(CultureInfo.InvariantCulture, $"(diagnostic filter {_filters[i - 2].Position}) "),
    };

    public void OnAnswer(int index, ReadOnlySpan<byte> reply)
    {
        ScpHeader.TryRead(reply, out var header);
        var request = Request(index);
        if (header.Result is ScpResult.P2PNoReply or ScpResult.P2PReject or ScpResult.P2PTimeout or ScpResult.Route)
        {
            if (!_unreachable.Contains((request.X, request.Y)))
            {
                _unreachable.Add((request.X, request.Y));
            }
        }
        else if (header.Result != ScpResult.Ok)
        {
            throw _window.ErrorAnswer(request, header.Result, Describe(index));
        }
    }
}
