namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>What boards a job asked for, resolved against the machine (board indices are configuration order).</summary>
internal abstract record BoardRequest
{
    /// <summary>Any one free board (num-boards 1).</summary>
    public sealed record AnyOne : BoardRequest;

    /// <summary>This board and only it (board by triad, physical position or address).</summary>
    public sealed record Specific(int BoardIndex) : BoardRequest;

    /// <summary>
    /// A rectangle of <paramref name="Width"/> × <paramref name="Height"/> triads, rooted at (RootX, RootY) when given,
    /// else anywhere (first fit); up to <paramref name="Tolerance"/> of its 3·w·h boards may be missing from the machine.
    /// </summary>
    public sealed record Rectangle(int Width, int Height, int? RootX, int? RootY, int Tolerance) : BoardRequest;
}
