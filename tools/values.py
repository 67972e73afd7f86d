"""Values typed by a person, cleaned before create/write stores them."""


def clean_values(vals_list, cleaners):
    """Apply ``cleaners`` ({field name: function}) to the non-empty string values of each dict in
    ``vals_list``, in place; return ``vals_list`` (a list, as create receives it)."""
    for vals in vals_list:
        for name, clean in cleaners.items():
            if isinstance(vals.get(name), str) and vals[name]:
                vals[name] = clean(vals[name])
    return vals_list
