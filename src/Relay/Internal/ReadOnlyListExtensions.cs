namespace FastSpinnRelay.Relay.Internal;

/// <summary>
/// <c>Map</c>, for projections whose source or result is a struct (value tuples, <see cref="Udp.UdpAddress"/>, numbers).
/// LINQ's <c>Select</c> over structs costs native AOT dearly: its iterators carry a virtual generic
/// <c>Select</c>, so the compiler builds every iterator for every pair of struct types the program projects
/// between (about a megabyte of the binary). A plain loop in a non-virtual generic method is built once per
/// pair actually used. Off the hot path: it allocates the result array.
/// </summary>
internal static class ReadOnlyListExtensions
{
    /// <summary>A new array with <paramref name="map"/> applied to each item of <paramref name="source"/>, in order.</summary>
    public static TResult[] Map<TSource, TResult>(this IReadOnlyList<TSource> source, Func<TSource, TResult> map)
    {
        var result = new TResult[source.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = map(source[i]);
        }

        return result;
    }
}
