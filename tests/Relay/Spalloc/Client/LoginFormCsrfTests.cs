using System.Text;
using FastSpinnRelay.Protocol.Tests.TestSupport;
using FastSpinnRelay.Relay.Spalloc.Client.Internal;

namespace FastSpinnRelay.Relay.Tests.Spalloc.Client;

/// <summary>The login page's _csrf field: found as the service writes it, in either attribute order; never a hang or a throw.</summary>
public class LoginFormCsrfTests
{
    [Theory]
    [InlineData("""<form><input type="hidden" name="_csrf" value="abc-123"/></form>""", "abc-123")]
    [InlineData("""<input value="v1" name="_csrf">""", "v1")]
    [InlineData("""<INPUT NAME = '_CSRF' VALUE = 'single'>""", "single")]
    [InlineData("<input\tname=\"_csrf\"\nvalue=\"a&amp;b\">", "a&amp;b")]
    [InlineData("""<input name="user" value="no"><input name="_csrf" value="yes">""", "yes")]
    [InlineData("""<input name=_csrf value=bare>""", "bare")]
    [InlineData("""<input name="_csrf" value="">""", "")]
    [InlineData("""<input name="_csrf" value="unclosed""", "unclosed")]
    public void Finds_the_value_as_written(string html, string expected) => Assert.Equal(expected, LoginFormCsrf.Find(html));

    [Theory]
    [InlineData("")]
    [InlineData("no tags at all")]
    [InlineData("""<input name="_csrf">""")]
    [InlineData("""<input name="_csrfx" value="x">""")]
    [InlineData("""<input data-name="_csrf" value="x">""")]
    [InlineData("""<input name="_csrf"><input value="elsewhere">""")]
    [InlineData("""<input value="x"> name="_csrf">""")]
    [InlineData("<<<<>>>>===''\"\"")]
    public void Gives_null_when_no_tag_has_the_field(string html) => Assert.Null(LoginFormCsrf.Find(html));

    [Fact]
    public void A_page_of_unclosed_fragments_is_read_once_and_gives_null()
    {
        // What made the backtracking pattern quadratic: many 'name="_csrf" value' starts, none finished.
        var page = new StringBuilder("<form>");
        while (page.Length < 4 << 20)
        {
            page.Append("<i name=\"_csrf\" value ");
        }

        Assert.Null(LoginFormCsrf.Find(page.ToString()));
    }

    [Fact]
    public void Random_and_mutated_pages_never_throw()
    {
        byte[][] valid = [Encoding.UTF8.GetBytes("""<html><form><input type="hidden" name="_csrf" value="0f9e"/><input name="username"></form></html>""")];
        var found = 0;
        FuzzInputs.Run(seed: 1122, valid, maxRandomLength: 512, count: 20_000, input =>
        {
            found += LoginFormCsrf.Find(Encoding.UTF8.GetString(input)) is null ? 0 : 1;
        });
        Assert.InRange(found, 1, 20_000);
    }
}
