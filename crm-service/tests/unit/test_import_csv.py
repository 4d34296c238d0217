"""Reading prospect CSV files: encodings, delimiters, the header mapping, rows to prospect values (no database)."""
import codecs

import pytest
from crm.imports.csvfile import CsvRefused, read, row_values


def test_utf8_with_bom_semicolons_and_header_synonyms_map_to_prospect_fields():
    sheet = read(codecs.BOM_UTF8 + b"E-Mail Address;Given name;SURNAME;Job Title;LinkedIn URL;Notes\n" +
                 b"a@x.io;Ada;Lovelace;Countess;https://linkedin.com/in/ada;hi\n", max_rows=10)
    assert (sheet.encoding, sheet.delimiter) == ("utf-8-sig", ";")
    assert sheet.columns == {"E-Mail Address": "emails", "Given name": "first_name", "SURNAME": "last_name",
                             "Job Title": "current_title", "LinkedIn URL": "links"}
    assert sheet.unknown_columns == ["Notes"]
    assert row_values(sheet, sheet.rows[0][1])[0] == {"emails": ["a@x.io"], "first_name": "Ada", "last_name": "Lovelace",
                                                      "current_title": "Countess", "links": ["https://linkedin.com/in/ada"]}


def test_utf16_tabs_full_names_and_several_values_in_a_cell_or_column():
    text = "Full Name\tWork Email\tPersonal Email\tTags\nGrace Brewster Hopper\tg@navy.mil; G@x.io\tg@x.io\tcobol, navy\n"
    sheet = read(text.encode("utf-16"), max_rows=10)
    assert (sheet.encoding, sheet.delimiter, sheet.rows[0][0]) == ("utf-16", "\t", 2)
    values, problems = row_values(sheet, sheet.rows[0][1])
    assert problems == []
    assert values == {"first_name": "Grace Brewster", "last_name": "Hopper", "emails": ["g@navy.mil", "G@x.io", "g@x.io"],
                      "tags": ["cobol", "navy"]}


def test_rows_start_at_their_line_and_blank_lines_are_no_rows():
    sheet = read(b'name,headline\n\nAl Bo,"two\nlines"\nCe De,x\n', max_rows=10)
    assert [line for line, _ in sheet.rows] == [3, 5]


@pytest.mark.parametrize("content, field", [
    (b'name,email\n"Al Bo,a@x.io\n', "file"),  # a quote that never closes
    (b'name,email\n"Al" Bo,a@x.io\n', "file"),  # text after a closing quote
    (b"email,phone\na@x.io,1\n", "header"),  # no names
    (b"name\n" + b"A B\n" * 4, "file"),  # more rows than allowed
    (b"   \n\n", "file"),  # nothing but blank lines
    (b"\xff\xfen\x00a", "file"),  # UTF-16 cut in the middle of a character
    ("name,n\udcffme\nA B,c\n".encode("utf-8", "surrogateescape"), "header"),  # invalid bytes in the header
])
def test_files_that_cannot_be_read_are_refused_naming_where(content, field):
    with pytest.raises(CsvRefused) as refused:
        read(content, max_rows=3)
    assert refused.value.field == field


def test_bad_cells_are_problems_of_their_row_and_column_only():
    sheet = read(b"name,location\nAl Bo,Ber\xfflin\nCe De,Oslo,extra\nMadonna,\nEd Fu,Rome\n", max_rows=10)
    problems = [row_values(sheet, cells)[1] for _, cells in sheet.rows]
    assert [[(p.column, "UTF-8" in p.message) for p in ps] for ps in problems[:1]] == [[("location", True)]]
    assert problems[1][0].column is None and "3 values" in problems[1][0].message
    assert problems[2][0].column == "name" and problems[3] == []
