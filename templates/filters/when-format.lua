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
