namespace FastSpinnRelay.Relay.Spalloc.Client.Internal;

/// <summary>
/// Finds the <c>_csrf</c> field of a Spalloc service's login page: the first tag with <c>name="_csrf"</c> and a
/// <c>value</c> attribute, in either order, names compared without case. Each tag is read once from its <c>&lt;</c> to
/// its <c>&gt;</c>, so the search takes time in proportion to the page whatever it holds (a backtracking pattern was
/// quadratic on a page of unclosed fragments from a broken or hostile service), and it needs no regular-expression
/// engine in the native binary.
/// </summary>
internal static class LoginFormCsrf
{
    /// <summary>The field's value as written in the page (HTML entities not decoded), or null when no tag has one.</summary>
    public static string? Find(string html)
    {
        ArgumentNullException.ThrowIfNull(html);
        var at = 0;
        while ((at = html.IndexOf('<', at)) >= 0)
        {
            var end = html.IndexOf('>', at + 1);
            var tag = html.AsSpan(at + 1, (end < 0 ? html.Length : end) - at - 1);
            if (ValueOfCsrfTag(tag) is { } value)
            {
                return value;
            }

            if (end < 0)
            {
                return null;
            }

            at = end + 1;
        }

        return null;
    }

    /// <summary>The <c>value</c> of a tag (its text between <c>&lt;</c> and <c>&gt;</c>) whose <c>name</c> is <c>_csrf</c>, else null.</summary>
    private static string? ValueOfCsrfTag(ReadOnlySpan<char> tag)
    {
        var i = 0;
        while (i < tag.Length && !IsSpace(tag[i]))
        {
            i++; // the element's name
        }

        bool isCsrf = false;
        string? value = null;
        while (i < tag.Length)
        {
            while (i < tag.Length && (IsSpace(tag[i]) || tag[i] == '/'))
            {
                i++;
            }

            var nameStart = i;
            while (i < tag.Length && !IsSpace(tag[i]) && tag[i] is not ('=' or '/'))
            {
                i++;
            }

            var name = tag[nameStart..i];
            while (i < tag.Length && IsSpace(tag[i]))
            {
                i++;
            }

            ReadOnlySpan<char> attribute = default;
            var hasValue = i < tag.Length && tag[i] == '=';
            if (hasValue)
            {
                i++;
                while (i < tag.Length && IsSpace(tag[i]))
                {
                    i++;
                }

                if (i < tag.Length && tag[i] is '"' or '\'')
                {
                    var quote = tag[i++];
                    var close = tag[i..].IndexOf(quote);
                    attribute = close < 0 ? tag[i..] : tag.Slice(i, close);
                    i = close < 0 ? tag.Length : i + close + 1;
                }
                else
                {
                    var start = i;
                    while (i < tag.Length && !IsSpace(tag[i]))
                    {
                        i++;
                    }

                    attribute = tag[start..i];
                }
            }
            else if (name.IsEmpty)
            {
                i++; // a stray '=' or character no attribute starts with: step over it
                continue;
            }

            if (name.Equals("name", StringComparison.OrdinalIgnoreCase))
            {
                isCsrf = hasValue && attribute.Equals("_csrf", StringComparison.OrdinalIgnoreCase);
            }
            else if (name.Equals("value", StringComparison.OrdinalIgnoreCase) && hasValue)
            {
                value = attribute.ToString();
            }
        }

        return isCsrf ? value : null;
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\f';
}
