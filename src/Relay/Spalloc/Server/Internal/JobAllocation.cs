using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>
/// The boards a job holds, and how the job sees them: chip coordinates relative to the job's root chip, as the
/// service reports them (so a one-board job's board is at (0, 0), where spinnman boots and looks for the root).
/// </summary>
internal sealed class JobAllocation
{
    private readonly Dictionary<(uint X, uint Y), SpallocBoard> _byChip = [];
    private readonly HashSet<UdpAddress> _hosts = [];

    public JobAllocation(IReadOnlyList<int> boardIndices, IReadOnlyList<SpallocBoard> boards, int rootChipX, int rootChipY, int widthChips, int heightChips, int depth)
    {
        BoardIndices = boardIndices;
        Boards = boardIndices.Select(i => boards[i]).ToArray();
        RootChipX = rootChipX;
        RootChipY = rootChipY;
        WidthChips = widthChips;
        HeightChips = heightChips;
        Depth = depth;
        foreach (var board in Boards)
        {
            _byChip[((uint)(board.ChipX - rootChipX), (uint)(board.ChipY - rootChipY))] = board;
            _hosts.Add(new UdpAddress(board.Address, 0));
        }
    }

    /// <summary>Indices (configuration order) of the boards held.</summary>
    public IReadOnlyList<int> BoardIndices { get; }

    public IReadOnlyList<SpallocBoard> Boards { get; }

    public int RootChipX { get; }

    public int RootChipY { get; }

    public int WidthChips { get; }

    public int HeightChips { get; }

    /// <summary>1 for a single board, 3 for whole triads.</summary>
    public int Depth { get; }

    /// <summary>The board whose Ethernet chip is at job-relative (x, y).</summary>
    public bool TryGetBoard(uint x, uint y, out SpallocBoard board) => _byChip.TryGetValue((x, y), out board!);

    /// <summary>
    /// The board to reach job-relative chip (x, y) through: the one whose 48 chips (a SpiNN-5 board's hexagon, counted
    /// from its Ethernet chip, wrapping around the job's width and height) include it, as spinnman's most direct
    /// connection picks; the root board when none does (its monitor routes SCP to any chip of a booted machine).
    /// </summary>
    public SpallocBoard BoardForChip(int x, int y)
    {
        foreach (var board in Boards)
        {
            var dx = Mod(x - (board.ChipX - RootChipX), WidthChips);
            var dy = Mod(y - (board.ChipY - RootChipY), HeightChips);
            if (dy < BoardRowStart.Length && dx >= BoardRowStart[dy] && dx <= BoardRowEnd[dy])
            {
                return board;
            }
        }

        return Boards.FirstOrDefault(b => b.ChipX == RootChipX && b.ChipY == RootChipY) ?? Boards[0];
    }

    /// <summary>The job-relative chips of <paramref name="board"/>'s hexagon (48, wrapped around the job's width and height).</summary>
    public List<(byte X, byte Y)> ChipsOf(SpallocBoard board)
    {
        var chips = new List<(byte X, byte Y)>(48);
        for (var dy = 0; dy < BoardRowStart.Length; dy++)
        {
            for (var dx = BoardRowStart[dy]; dx <= BoardRowEnd[dy]; dx++)
            {
                chips.Add(((byte)Mod(board.ChipX - RootChipX + dx, WidthChips), (byte)Mod(board.ChipY - RootChipY + dy, HeightChips)));
            }
        }

        return chips;
    }

    /// <summary>First and last x of each row (y = 0..7) of a SpiNN-5 board's 48 chips, relative to its Ethernet chip.</summary>
    private static ReadOnlySpan<int> BoardRowStart => [0, 0, 0, 0, 1, 2, 3, 4];

    private static ReadOnlySpan<int> BoardRowEnd => [4, 5, 6, 7, 7, 7, 7, 7];

    private static int Mod(int value, int modulus) => modulus <= 0 ? value : ((value % modulus) + modulus) % modulus;

    /// <summary>True when <paramref name="source"/>'s IP address (any port) is one of the job's boards. No allocation.</summary>
    public bool IsBoardHost(in UdpAddress source) => _hosts.Contains(source.WithPort(0));

    /// <summary>The Ethernet chips (job-relative) and board addresses, root first.</summary>
    public IReadOnlyList<(int X, int Y, string Address)> Connections
    {
        get
        {
            // A loop and a sort, not LINQ over value tuples (see ProcessCpu.Tree for why: native AOT size).
            var connections = new (int X, int Y, string Address)[Boards.Count];
            for (var i = 0; i < connections.Length; i++)
            {
                var board = Boards[i];
                connections[i] = (board.ChipX - RootChipX, board.ChipY - RootChipY, board.Address.ToString());
            }

            Array.Sort(connections, static (a, b) => a.X != b.X ? a.X.CompareTo(b.X) : a.Y.CompareTo(b.Y));
            return connections;
        }
    }
}
