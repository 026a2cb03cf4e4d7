-- Quarto's conditional content, for the pandoc path: keep or drop
--   ::: {.content-visible when-format="html"} ... :::
--   ::: {.content-hidden  when-format="docx"} ... :::
-- according to the output format pandoc is writing. Quarto does this itself.

local aliases = {
  html = { html = true, html4 = true, html5 = true },
  typst = { typst = true },
  docx = { docx = true },
  pdf = { typst = true, latex = true },
}

local function matches(name)
  local set = aliases[name]
  if set then
    return set[FORMAT] == true
  end
  return FORMAT == name
end

function Div(div)
  if div.classes:includes("keep-together") then
    if FORMAT == "typst" then
      local out = { pandoc.RawBlock("typst", "#block(breakable: false)[") }
      for _, block in ipairs(div.content) do
        table.insert(out, block)
      end
      table.insert(out, pandoc.RawBlock("typst", "]"))
      return out
    end
    return div.content
  end
  local visible = div.classes:includes("content-visible")
  local hidden = div.classes:includes("content-hidden")
  if not (visible or hidden) then
    return nil
  end
  local when = div.attributes["when-format"]
  local unless = div.attributes["unless-format"]
  local show = true
  if when then
    show = matches(when)
  elseif unless then
    show = not matches(unless)
  end
  if hidden then
    show = not show
  end
  if show then
    return div.content
  end
  return {}
end

-- Table structure and cross-references (the pandoc path; the .qmd names this filter for
-- Quarto too):
--   [Label]{.level-2}             a codebook row two levels deep: an indented cell, drawn by
--                                 the cell itself (CSS padding, typst pad, a Word paragraph
--                                 style "Table Level 2"), never by spaces
--   [[Title](#anchor)]{.where}    where an item is reported: the section's link in HTML and
--                                 Word, its page number in the PDF
local function level_of(span)
  for _, class in ipairs(span.classes) do
    local n = class:match("^level%-(%d+)$")
    if n then
      return tonumber(n)
    end
  end
  return nil
end

function Span(span)
  local level = level_of(span)
  if level and FORMAT == "typst" then
    local out = { pandoc.RawInline("typst", "#pad(left: " .. (1.1 * level) .. "em)[") }
    for _, item in ipairs(span.content) do
      table.insert(out, item)
    end
    table.insert(out, pandoc.RawInline("typst", "]"))
    return out
  end
  if span.classes:includes("where") and FORMAT == "typst" then
    local anchor = span.attributes["anchor"]
    return pandoc.RawInline(
      "typst",
      "#context link(<" .. anchor .. ">)[p. #counter(page).at(<" .. anchor .. ">).first()]"
    )
  end
  return nil
end

-- A typst line that starts with "2." or "-" or "+" would begin a list: escape the marker.
function Str(str)
  if FORMAT ~= "typst" then
    return nil
  end
  local text = str.text
  if text:match("^%d+%.$") or text:match("^%d+%.%s") then
    return pandoc.RawInline("typst", text:gsub("%.", "\\.", 1))
  end
  if text == "-" or text == "+" or text == "=" or text == "/" then
    return pandoc.RawInline("typst", "\\" .. text)
  end
  return nil
end

function Table(tbl)
  if FORMAT:match("html") then
    -- The caption stays in the page's width above the table's own scroll box (a <caption>
    -- would scroll away with a wide table on a phone); the table keeps it as its label.
    local caption = tbl.caption.long
    if #caption > 0 then
      tbl.attr.attributes["aria-label"] = pandoc.utils.stringify(caption)
      tbl.caption = pandoc.Caption()
      return pandoc.Div({
        pandoc.Div(caption, { class = "table-caption" }),
        pandoc.Div({ tbl }, { class = "table-scroll" }),
      }, { class = "table-block" })
    end
    return pandoc.Div({ tbl }, { class = "table-scroll" })
  end
  if FORMAT ~= "docx" then
    return nil
  end
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do
      local cell = row.cells[1]
      if cell and #cell.contents == 1 then
        local block = cell.contents[1]
        local first = block.content and block.content[1]
        if first and first.t == "Span" then
          local level = level_of(first)
          if level then
            cell.contents = {
              pandoc.Div({ pandoc.Para(first.content) }, { ["custom-style"] = "Table Level " .. level }),
            }
          end
        end
      end
    end
  end
  return tbl
end
